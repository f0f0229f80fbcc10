//! `stagecraft lsp` driven by a JSON-RPC client over the binary's stdio,
//! as an editor drives it: the handshake, diagnostics published on open and
//! on change, hover, completion (keys, stage names, variables),
//! go-to-definition, rename, and a clean shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    /// Notifications received while waiting for a response.
    notifications: Vec<Value>,
}

impl Client {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || loop {
            let mut len = None;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    len = n.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; len.expect("a Content-Length header")];
            stdout.read_exact(&mut body).unwrap();
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        Self {
            child,
            stdin,
            messages,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers within 20 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let msg = self.next();
            if msg["id"] == json!(id) {
                return msg;
            }
            self.notifications.push(msg);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next `publishDiagnostics` for version `version`.
    fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        loop {
            let msg = match self.notifications.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics"
                    && n["params"]["version"] == json!(version)
            }) {
                Some(i) => self.notifications.remove(i),
                None => self.next(),
            };
            if msg["method"] == "textDocument/publishDiagnostics"
                && msg["params"]["version"] == json!(version)
            {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

const URI: &str = "file:///work/app/stagecraft.yaml";

fn at(line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } })
}

const V1: &str = r#"# syntax=stagecraft
version: 1
args:
  GO_VERSION: { default: "1.23", description: "the Go toolchain" }
stages:
  build:
    from: golang:${GO_VERSION}
    workdir: /src
    steps:
      - run: make
        netwrk: none
  runtime:
    from: scratch
    needs: [build]
    artifacts:
      - from: build
        path: /out/app
    image:
      cmd: /app
"#;

/// Valid YAML with holes: a value being typed after `${`, an empty `from`.
const V2: &str = r#"version: 1
args:
  GO_VERSION: "1.23"
stages:
  build:
    from: golang:${GO
  runtime:
    from: scratch
    artifacts:
      - from: 
        path: /out/app
"#;

/// Broken YAML, as while a key is typed.
const V3: &str = r#"version: 1
stages:
  build:
    from: golang
  runtime:
    from: scratch
    needs: [build]
    us
"#;

/// Language 1.1 keys: `defaults`, `matrix`, `when`.
const V4: &str = r#"version: 1
defaults:
  run:
    network: none
stages:
  test:
    matrix:
      GO: ["1.22", "1.23"]
    from: busybox
    steps:
      - run: echo ${GO}
        when: { GO: "1.23" }
  release:
    from: scratch
    needs: [test]
"#;

/// A stage's keys being typed, in a spec that uses language 1.1 keys.
const V5: &str = r#"version: 1
stages:
  test:
    from: busybox
  release:
    from: scratch
    ma
"#;

fn labels(resp: &Value) -> Vec<String> {
    resp["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{resp}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_editor_session() {
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], true, "{init}");
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["renameProvider"], true);
    assert!(caps["completionProvider"].is_object());
    c.notify("initialized", json!({}));

    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "yaml", "version": 1, "text": V1 } }),
    );
    let diags = c.diagnostics(1);
    let find = |code: &str| {
        diags
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {diags:?}"))
            .clone()
    };
    let unknown = find("unknown-key");
    assert_eq!(unknown["severity"], 1, "an error");
    assert_eq!(unknown["source"], "stagecraft");
    assert_eq!(
        unknown["range"]["start"],
        json!({ "line": 10, "character": 8 })
    );
    assert_eq!(
        unknown["range"]["end"],
        json!({ "line": 10, "character": 14 })
    );
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `network`"));
    let json_args = find("json-args-recommended");
    assert_eq!(json_args["severity"], 2, "a warning");
    assert_eq!(json_args["range"]["start"]["line"], 18);

    // Hover: a key's documentation; a variable's declaration.
    let hover = c.request("textDocument/hover", at(7, 6));
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("`workdir`") && text.contains("working directory"),
        "{text}"
    );
    let hover = c.request("textDocument/hover", at(6, 22));
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("GO_VERSION") && text.contains("the Go toolchain"),
        "{text}"
    );

    // Definition: a stage reference, an argument.
    let def = c.request("textDocument/definition", at(13, 12));
    assert_eq!(def["result"]["uri"], URI, "{def}");
    assert_eq!(
        def["result"]["range"]["start"],
        json!({ "line": 5, "character": 2 })
    );
    let def = c.request("textDocument/definition", at(6, 20));
    assert_eq!(
        def["result"]["range"]["start"],
        json!({ "line": 3, "character": 2 }),
        "{def}"
    );

    // Rename a stage: its key and every reference.
    let edit = c.request("textDocument/rename", json!({
        "textDocument": { "uri": URI }, "position": { "line": 15, "character": 15 }, "newName": "compile"
    }));
    let edits = edit["result"]["changes"][URI]
        .as_array()
        .unwrap_or_else(|| panic!("{edit}"));
    let starts: Vec<&Value> = edits.iter().map(|e| &e["range"]["start"]).collect();
    assert_eq!(
        starts,
        [
            &json!({ "line": 5, "character": 2 }),
            &json!({ "line": 13, "character": 12 }),
            &json!({ "line": 15, "character": 14 }),
        ]
    );
    assert!(edits.iter().all(|e| e["newText"] == "compile"));
    let refused = c.request("textDocument/rename", json!({
        "textDocument": { "uri": URI }, "position": { "line": 15, "character": 15 }, "newName": "Compile"
    }));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid stage name"),
        "{refused}"
    );

    // Completion on valid YAML with holes: variables, stage names.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": V2 }] }),
    );
    assert!(!c.diagnostics(2).is_empty());
    let vars = labels(&c.request("textDocument/completion", at(5, 21)));
    assert!(
        vars.contains(&"GO_VERSION".to_owned()) && vars.contains(&"TARGETARCH".to_owned()),
        "{vars:?}"
    );
    let stages = labels(&c.request("textDocument/completion", at(9, 14)));
    assert_eq!(stages, ["build", "runtime"]);

    // Completion on broken YAML: the stage's keys not yet written.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 3 }, "contentChanges": [{ "text": V3 }] }),
    );
    let broken = c.diagnostics(3);
    assert_eq!(broken[0]["code"], "yaml-syntax", "{broken:?}");
    let keys = labels(&c.request("textDocument/completion", at(7, 6)));
    assert!(
        keys.contains(&"user".to_owned()) && keys.contains(&"steps".to_owned()),
        "{keys:?}"
    );
    assert!(
        !keys.contains(&"from".to_owned()) && !keys.contains(&"needs".to_owned()),
        "{keys:?}"
    );
    let hover_key = c.request("textDocument/hover", at(7, 5));
    assert!(
        hover_key["result"].is_null(),
        "no tree, no hover: {hover_key}"
    );

    // Language 1.1: no diagnostics for its keys, hover and completion
    // from their key tables.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 4 }, "contentChanges": [{ "text": V4 }] }),
    );
    let v4 = c.diagnostics(4);
    assert!(v4.is_empty(), "{v4:?}");
    for (line, character, words) in [
        (1, 2, "`run` and `copy`"),
        (6, 6, "One instance of this stage per combination"),
        (11, 10, "Keep this only if every named argument"),
    ] {
        let hover = c.request("textDocument/hover", at(line, character));
        assert!(
            hover["result"]["contents"]["value"]
                .as_str()
                .is_some_and(|v| v.contains(words)),
            "hover at {line}:{character}: {hover}"
        );
    }
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 5 }, "contentChanges": [{ "text": V5 }] }),
    );
    c.diagnostics(5);
    let keys = labels(&c.request("textDocument/completion", at(6, 6)));
    for key in ["matrix", "when", "unless", "defaults", "needs"] {
        assert!(keys.contains(&key.to_owned()), "{key} in {keys:?}");
    }
    assert!(!keys.contains(&"from".to_owned()), "{keys:?}");

    let unknown = c.request("textDocument/formatting", json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");

    let shutdown = c.request("shutdown", Value::Null);
    assert!(shutdown["result"].is_null(), "{shutdown}");
    c.notify("exit", Value::Null);
    drop(c.stdin);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
