//! `stagecraft lsp`: a language server for specs over stdio, on
//! rust-analyzer's `lsp-server` scaffold. Documents are synchronised whole
//! (each change sends the full text) and analysed at once; diagnostics are
//! published after every change.
//!
//! This module is the session: the handshake, the message loop and the
//! dispatch by method. What each request answers is in `features`; the
//! document and its positions in `document`; the cursor's place in the
//! language in `context` (text) and `tree` (parsed).

mod context;
mod document;
mod features;
mod tree;

use std::collections::{BTreeMap, HashMap};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Completion, GotoDefinition, HoverRequest, Rename, Request as _};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, GotoDefinitionParams,
    GotoDefinitionResponse, HoverParams, HoverProviderCapability, OneOf, PublishDiagnosticsParams,
    RenameParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
    WorkspaceEdit,
};

use document::Document;

/// What went wrong with the connection (not with a request).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["$".into(), "{".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Serves one client on stdin/stdout until it says `exit`.
pub fn run() -> Result<(), Error> {
    let (connection, threads) = Connection::stdio();
    let caps = serde_json::to_value(capabilities())?;
    let (id, _client) = connection.initialize_start()?;
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": caps,
            "serverInfo": { "name": "stagecraft", "version": crate::version::VERSION },
        }),
    )?;
    Server::default().serve(&connection)?;
    drop(connection);
    threads.join()?;
    Ok(())
}

#[derive(Default)]
struct Server {
    /// Open documents by URI.
    docs: BTreeMap<String, Document>,
}

impl Server {
    fn serve(&mut self, conn: &Connection) -> Result<(), Error> {
        for msg in &conn.receiver {
            match msg {
                Message::Request(req) => {
                    if conn.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let response = self.request(req);
                    conn.sender.send(Message::Response(response))?;
                }
                Message::Notification(n) => {
                    if let Some(publish) = self.notification(n)? {
                        conn.sender.send(Message::Notification(publish))?;
                    }
                }
                // The server sends no requests, so expects no responses.
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    /// A changed document: analysed, and its diagnostics to publish.
    fn update(&mut self, uri: Uri, text: String, version: i32) -> Notification {
        let name = uri
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or("stagecraft.yaml")
            .to_owned();
        let doc = Document::new(&name, text, self.docs.get(uri.as_str()));
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: features::diagnostics(&doc),
            version: Some(version),
        };
        self.docs.insert(uri.as_str().to_owned(), doc);
        Notification::new(PublishDiagnostics::METHOD.to_owned(), params)
    }

    fn notification(&mut self, n: Notification) -> Result<Option<Notification>, Error> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let d = p.text_document;
                Ok(Some(self.update(d.uri, d.text, d.version)))
            }
            DidChangeTextDocument::METHOD => {
                let p: DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                // Full synchronisation: the last change is the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Ok(None);
                };
                let d = p.text_document;
                Ok(Some(self.update(d.uri, change.text, d.version)))
            }
            DidCloseTextDocument::METHOD => {
                let p: DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                self.docs.remove(p.text_document.uri.as_str());
                let clear = PublishDiagnosticsParams {
                    uri: p.text_document.uri,
                    diagnostics: Vec::new(),
                    version: None,
                };
                Ok(Some(Notification::new(
                    PublishDiagnostics::METHOD.to_owned(),
                    clear,
                )))
            }
            // Other notifications (`initialized`, `$/…`) need no answer.
            _ => Ok(None),
        }
    }

    fn doc(&self, uri: &Uri) -> Result<&Document, String> {
        self.docs
            .get(uri.as_str())
            .ok_or_else(|| format!("{} is not open", uri.as_str()))
    }

    fn request(&self, req: Request) -> Response {
        let id = req.id.clone();
        match self.answer(req) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn answer(&self, req: Request) -> Result<serde_json::Value, (ErrorCode, String)> {
        let bad = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        let failed = |e: String| (ErrorCode::RequestFailed, e);
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| (ErrorCode::InternalError, e.to_string()))
        };
        match req.method.as_str() {
            HoverRequest::METHOD => {
                let p: HoverParams = serde_json::from_value(req.params).map_err(bad)?;
                let at = p.text_document_position_params;
                let doc = self.doc(&at.text_document.uri).map_err(failed)?;
                json(serde_json::to_value(features::hover(
                    doc,
                    doc.offset(at.position),
                )))
            }
            Completion::METHOD => {
                let p: CompletionParams = serde_json::from_value(req.params).map_err(bad)?;
                let at = p.text_document_position;
                let doc = self.doc(&at.text_document.uri).map_err(failed)?;
                let items = features::completion(doc, at.position);
                json(serde_json::to_value(CompletionResponse::Array(items)))
            }
            GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = serde_json::from_value(req.params).map_err(bad)?;
                let at = p.text_document_position_params;
                let uri = at.text_document.uri;
                let doc = self.doc(&uri).map_err(failed)?;
                let found = features::definition(doc, &uri, doc.offset(at.position))
                    .map(GotoDefinitionResponse::Scalar);
                json(serde_json::to_value(found))
            }
            Rename::METHOD => {
                let p: RenameParams = serde_json::from_value(req.params).map_err(bad)?;
                let at = p.text_document_position;
                let uri = at.text_document.uri;
                let doc = self.doc(&uri).map_err(failed)?;
                let edits =
                    features::rename(doc, doc.offset(at.position), &p.new_name).map_err(failed)?;
                let edit = WorkspaceEdit {
                    changes: Some(HashMap::from([(uri, edits)])),
                    ..WorkspaceEdit::default()
                };
                json(serde_json::to_value(edit))
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("stagecraft lsp does not answer `{other}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    /// The client chooses positions and texts: every request at every
    /// position of every small fixture (and past the ends) is answered
    /// without a panic.
    #[test]
    fn every_position_of_every_fixture_is_answered() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let uri: Uri = "file:///w/stagecraft.yaml"
            .parse()
            .unwrap_or_else(|_| panic!("a URI"));
        let mut positions = 0usize;
        for dir in ["valid", "invalid", "warn"] {
            let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
                panic!("no fixtures in {dir}");
            };
            for entry in entries.flatten() {
                let Ok(bytes) = std::fs::read(entry.path()) else {
                    continue;
                };
                if bytes.len() > 2_000 {
                    continue;
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let doc = Document::new("stagecraft.yaml", text, None);
                for line in 0..=doc.line_count() + 1 {
                    let width = u32::try_from(doc.line(line).encode_utf16().count()).unwrap_or(0);
                    for character in 0..=width + 1 {
                        let p = Position::new(line, character);
                        let offset = doc.offset(p);
                        let _ = features::hover(&doc, offset);
                        let _ = features::completion(&doc, p);
                        let _ = features::definition(&doc, &uri, offset);
                        let _ = features::rename(&doc, offset, "renamed");
                        positions += 1;
                    }
                }
            }
        }
        assert!(positions > 10_000, "{positions}");
    }
}
