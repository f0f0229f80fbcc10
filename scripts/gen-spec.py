#!/usr/bin/env python3
"""Generate an equivalent pair of build files for benchmarks and scaling tests:
a Stagecraft spec (OUT/stagecraft.yaml) and a Dockerfile twin (OUT/Dockerfile).

Shapes (N = number of stages, not counting the final/aggregate stage):

  chain N     stage c<i> starts `from:` stage c<i-1> (c1 from busybox), each with
              one small `run` step. The target is the last stage.
  fan N       N independent stages f<i> from busybox, each with a `run` step that
              writes /f<i>.txt, and one final stage `final` that takes every file
              as an artifact (Dockerfile: `COPY --link --from=f<i>`).
  monorepo N  N//3 services, each with three stages: <svc>-deps (from busybox,
              workdir, env, a run step), <svc>-build (from <svc>-deps, a run step)
              and <svc>-runtime (from busybox, the built file as an artifact, an
              entrypoint); plus a stage `aggregate` that `needs` every runtime.
              Dockerfiles have no `needs`: the twin's aggregate stage takes one
              file from each runtime with `COPY --link --from=`, which makes the
              same stages build.

Stress shapes (issue 6: inputs that once took seconds or minutes):

  env N           one stage with N `env` entries and a `run` step (Dockerfile twin:
                  one ENV line per entry);
  long-names N    two stages; the first is named with N letters (an explicit `? `
                  key, as plain keys are limited to 1024 characters), the second
                  starts `from:` that name misspelt (did-you-mean); spec only;
  unknown-keys N  one stage with N unknown keys (N diagnostics); spec only.

--args K declares K top-level arguments A1..AK with default values. Stagecraft
exports every top-level argument to every `run` step; the Dockerfile twin gets a
global `ARG Ai=vi` and, to give its RUN steps the same environment, an `ARG Ai`
in every stage (use --dockerfile-args=global to declare them only once).

Both files use busybox only, so they build on an engine that cannot pull.
Usage: scripts/gen-spec.py [--args K] [--syntax IMAGE] SHAPE N OUT_DIR
(a spec-only shape writes no Dockerfile)
"""

import argparse
import json
import os
import sys

SHAPES = ("chain", "fan", "monorepo", "env", "long-names", "unknown-keys")
SPEC_ONLY = ("long-names", "unknown-keys")
BASE = "busybox"


def q(text):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


class Pair:
    def __init__(self, syntax, nargs, df_args):
        self.y = [f"# syntax={syntax}", "version: 1"]
        self.d = []
        self.nargs = nargs
        self.df_args = df_args
        if nargs:
            self.y.append("args:")
            for i in range(1, nargs + 1):
                self.y.append(f"  A{i}: {q(f'v{i}')}")
                self.d.append(f"ARG A{i}={q(f'v{i}')}")
        self.y.append("stages:")

    def stage(self, name, from_):
        self.y.append(f"  {name}:")
        self.y.append(f"    from: {from_}")
        self.d.append("")
        self.d.append(f"FROM {from_} AS {name}")
        if self.nargs and self.df_args == "per-stage":
            for i in range(1, self.nargs + 1):
                self.d.append(f"ARG A{i}")

    def text(self):
        return "\n".join(self.y) + "\n", "\n".join(self.d).lstrip("\n") + "\n"


def gen_chain(p, n):
    for i in range(1, n + 1):
        name = f"c{i}"
        p.stage(name, BASE if i == 1 else f"c{i - 1}")
        cmd = f"echo {i} > /{name}.txt"
        p.y += ["    steps:", f"      - run: {q(cmd)}"]
        p.d.append(f"RUN {cmd}")


def gen_fan(p, n):
    for i in range(1, n + 1):
        name = f"f{i}"
        p.stage(name, BASE)
        cmd = f"echo {i} > /{name}.txt"
        p.y += ["    steps:", f"      - run: {q(cmd)}"]
        p.d.append(f"RUN {cmd}")
    p.stage("final", BASE)
    p.y.append("    artifacts:")
    for i in range(1, n + 1):
        p.y.append(f"      - {{ from: f{i}, path: /f{i}.txt, to: /out/ }}")
        p.d.append(f"COPY --link --from=f{i} /f{i}.txt /out/")


def gen_monorepo(p, n):
    services = max(1, n // 3)
    for i in range(1, services + 1):
        svc = f"svc{i}"
        # deps: resolve the service's dependencies
        p.stage(f"{svc}-deps", BASE)
        p.y += [
            "    workdir: /src",
            "    env:",
            f"      SERVICE: {svc}",
            "    steps:",
        ]
        p.d += ["ENV SERVICE=" + svc, "WORKDIR /src"]
        cmd = 'mkdir -p /deps && echo "$SERVICE deps" > /deps/lock'
        p.y.append(f"      - run: {q(cmd)}")
        p.d.append(f"RUN {cmd}")
        # build: compile it on top of its dependencies
        p.stage(f"{svc}-build", f"{svc}-deps")
        cmd = "mkdir -p /out && cat /deps/lock > /out/app && echo built >> /out/app"
        p.y += ["    steps:", f"      - run: {q(cmd)}"]
        p.d.append(f"RUN {cmd}")
        # runtime: only the built file, on a clean base
        p.stage(f"{svc}-runtime", BASE)
        p.y += [
            "    artifacts:",
            f"      - {{ from: {svc}-build, path: /out/app, to: /srv/{svc}/app }}",
            "    image:",
            f'      entrypoint: ["/srv/{svc}/app"]',
        ]
        p.d += [
            f"COPY --link --from={svc}-build /out/app /srv/{svc}/app",
            f'ENTRYPOINT ["/srv/{svc}/app"]',
        ]
    p.stage("aggregate", BASE)
    p.y.append("    needs:")
    for i in range(1, services + 1):
        p.y.append(f"      - svc{i}-runtime")
        p.d.append(f"COPY --link --from=svc{i}-runtime /srv/svc{i}/app /srv/svc{i}/app")
    cmd = "echo aggregate > /aggregate.txt"
    p.y += ["    steps:", f"      - run: {q(cmd)}"]
    p.d.append(f"RUN {cmd}")


def gen_env(p, n):
    p.stage("s", BASE)
    p.y.append("    env:")
    for i in range(1, n + 1):
        p.y.append(f"      E{i}: v{i}")
        p.d.append(f"ENV E{i}=v{i}")
    p.y += ["    steps:", "      - run: env"]
    p.d.append("RUN env")


def gen_long_names(p, n):
    name = "a" * n
    p.y += [f"  ? {name}", f"  : from: {BASE}", "  b:", f"    from: {name[:-1]}b"]


def gen_unknown_keys(p, n):
    p.stage("s", BASE)
    p.y += [f"    k{i}: x" for i in range(1, n + 1)]


def main(argv):
    ap = argparse.ArgumentParser(
        description="Generate an equivalent Stagecraft spec and Dockerfile.",
        epilog="Writes OUT_DIR/stagecraft.yaml and OUT_DIR/Dockerfile.",
    )
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("n", type=int, help="number of stages (monorepo: N//3 services x 3; "
                    "env: entries; long-names: name length; unknown-keys: keys)")
    ap.add_argument("out_dir")
    ap.add_argument("--args", type=int, default=0, metavar="K",
                    help="declare K top-level arguments (default 0)")
    ap.add_argument("--dockerfile-args", choices=("per-stage", "global"),
                    default="per-stage",
                    help="re-declare each ARG in every Dockerfile stage (default) "
                         "or only globally")
    ap.add_argument("--syntax", default="stagecraft:dev",
                    help="frontend image on the spec's line 1 (default stagecraft:dev)")
    ap.add_argument("--spec-name", default="stagecraft.yaml")
    ap.add_argument("--dockerfile-name", default="Dockerfile")
    a = ap.parse_args(argv)
    if a.n < 1 or a.args < 0:
        ap.error("N must be >= 1 and K >= 0")
    p = Pair(a.syntax, a.args, a.dockerfile_args)
    gens = {
        "chain": gen_chain,
        "fan": gen_fan,
        "monorepo": gen_monorepo,
        "env": gen_env,
        "long-names": gen_long_names,
        "unknown-keys": gen_unknown_keys,
    }
    gens[a.shape](p, a.n)
    spec, dockerfile = p.text()
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, a.spec_name), "w", encoding="utf-8") as f:
        f.write(spec)
    if a.shape not in SPEC_ONLY:
        with open(os.path.join(a.out_dir, a.dockerfile_name), "w", encoding="utf-8") as f:
            f.write(dockerfile)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
