//! What the build gets from the client besides the spec and the build
//! context: frontend inputs (bake's `target:` contexts) with their image
//! configs.
//!
//! Nothing here compiles LLB beyond importing an input's definition.

use std::collections::BTreeMap;

use crate::compile::FrontendInput;
use crate::gateway::Gateway;
use crate::options::BuildOptions;

use super::BuildFailure;

/// The frontend inputs that `input:NAME` contexts name (bake's `target:`
/// contexts), each with the image config the client gave in
/// `input-metadata:NAME`; none are asked for when no context names one.
pub(super) async fn frontend_inputs(
    gw: &Gateway,
    opts: &BuildOptions,
) -> Result<BTreeMap<String, FrontendInput>, BuildFailure> {
    let wanted: Vec<(&String, &str, &str)> = opts
        .contexts
        .iter()
        .filter_map(|(name, ctx)| Some((name, ctx.input()?, ctx.raw.as_str())))
        .collect();
    let Some((first, _, raw)) = wanted.first() else {
        return Ok(BTreeMap::new());
    };
    if !gw.caps.gateway(crate::gateway::caps::FRONTEND_INPUTS) {
        return Err(BuildFailure::plain(format!(
            "--build-context {first}={raw}: this engine does not support frontend inputs (gateway cap `{}`)",
            crate::gateway::caps::FRONTEND_INPUTS
        )));
    }
    let defs = gw.inputs().await?;
    let mut out = BTreeMap::new();
    for (name, input, raw) in wanted {
        let Some(def) = defs.get(input) else {
            // Reported where the spec uses the context (compile::context).
            continue;
        };
        let bad = |why: String| BuildFailure::plain(format!("--build-context {name}={raw}: {why}"));
        let state = llb::definition::import(def).map_err(|e| bad(e.to_string()))?;
        let config = match opts.input_metadata.get(input) {
            None => None,
            Some(md) => input_image_config(md).map_err(bad)?,
        };
        out.insert(input.to_owned(), FrontendInput { state, config });
    }
    Ok(out)
}

/// `containerimage.config` of an `input-metadata:` value: a JSON object
/// whose values are base64 bytes (Go's encoding of `map[string][]byte`).
fn input_image_config(metadata: &str) -> Result<Option<Vec<u8>>, String> {
    use base64::Engine as _;
    let map: BTreeMap<String, String> = serde_json::from_str(metadata)
        .map_err(|e| format!("input metadata is not a JSON object of strings: {e}"))?;
    map.get("containerimage.config")
        .map(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|e| format!("input metadata `containerimage.config` is not base64: {e}"))
        })
        .transpose()
}
