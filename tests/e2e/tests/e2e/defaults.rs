//! `defaults:` (language 1.1): `run` and `copy` options for every step of
//! their scope, through `docker buildx build`, seen from inside the steps:
//! the top level's and the stage's merged (env by key, mounts concatenated,
//! scalars replaced), a step's own value winning, `defaults: false` taking
//! none; and `--call=outline` listing the secrets and caches they bring.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
defaults:
  run:
    env: { CI: "1", LEVEL: top }
    network: none
    cache: [/root/.cache]
  copy: { chown: "1000:1000" }
stages:
  build:
    from: busybox
    defaults:
      run:
        env: { LEVEL: stage }
        secrets: [{ id: tok, target: /run/tok }]
      copy: { chmod: "0640" }
    steps:
      - copy: a.txt
        to: /out/
      - copy: b.txt
        to: /out/
        defaults: false
      - run: stat -c '%n %u %a' /out/a.txt /out/b.txt > /out/owners
      - run: |
          { echo "CI=$CI LEVEL=$LEVEL"; tail -n +3 /proc/net/dev | wc -l; test -d /root/.cache && echo cache; cat /run/tok; } > /out/with
      - run: |
          { echo "CI=${CI:-unset}"; tail -n +3 /proc/net/dev | wc -l; test -e /run/tok && echo tok || echo no-tok; } > /out/without
        defaults: false
      - run: echo "CI=$CI LEVEL=$LEVEL" > /out/override
        env: { CI: "0" }
"#;

pub fn defaults_reach_every_step_of_their_scope_unless_a_step_says_false(engine: &Engine) {
    let dir = workdir("defaults");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("a.txt", "a\n"),
            ("b.txt", "b\n"),
            ("tok.txt", "s3cret\n"),
        ],
    );
    let secret = format!("id=tok,src={}", dir.join("tok.txt").display());
    let (b, out) = engine.export(&dir, &["--secret", &secret]);
    b.assert_ok();
    let read = |f: &str| std::fs::read_to_string(out.join("out").join(f)).unwrap();
    assert_eq!(
        read("owners"),
        "/out/a.txt 1000 640\n/out/b.txt 0 644\n",
        "the copy defaults (top-level chown, stage chmod) reach a.txt only"
    );
    assert_eq!(read("with"), "CI=1 LEVEL=stage\n1\ncache\ns3cret\n");
    let without = read("without");
    let mut lines = without.lines();
    assert_eq!(lines.next(), Some("CI=unset"), "{without}");
    let links: u32 = lines.next().unwrap().trim().parse().unwrap();
    assert!(
        links > 1,
        "defaults: false keeps the default network: {without}"
    );
    assert_eq!(lines.next(), Some("no-tok"), "{without}");
    assert_eq!(read("override"), "CI=0 LEVEL=stage\n");
}

pub fn outline_lists_the_secrets_and_caches_defaults_bring(engine: &Engine) {
    let dir = workdir("defaults-outline");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("a.txt", "a\n"),
            ("b.txt", "b\n"),
        ],
    );
    let json = crate::subrequests::call(engine, &dir, "outline", "stagecraft.yaml");
    assert!(
        json["secrets"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x["name"] == "tok")),
        "{json:#}"
    );
    assert!(
        json["cache"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x["ID"] == "/root/.cache")),
        "{json:#}"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "defaults_reach_every_step_of_their_scope_unless_a_step_says_false",
            &[],
            defaults_reach_every_step_of_their_scope_unless_a_step_says_false,
        ),
        case(
            "outline_lists_the_secrets_and_caches_defaults_bring",
            &[Feature::Buildx, Feature::Call],
            outline_lists_the_secrets_and_caches_defaults_bring,
        ),
    ]
}
