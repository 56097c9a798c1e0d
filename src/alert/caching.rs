//! The text of a prompt-caching regression alert.

use serde_json::json;

use crate::store::alerts::{AlertEvent, NewAlert};
use crate::store::caching::REGRESSION_AFTER;

/// The alert queued when prompt caching of `model` on `target` stopped
/// working: its identical-request test passed before and has now failed
/// [`REGRESSION_AFTER`] runs in a row.
pub fn regression(target: &str, model: &str) -> NewAlert {
    // The model's name comes from the provider's catalog: one escaped
    // line in the texts, as it is in the data.
    let shown = crate::text::line(model);
    let command = format!("apiradar cache-test {target} --model {shown}");
    let text = format!(
        "Prompt caching of {shown} on {target} stopped working: the identical-request test passed before and has now failed {REGRESSION_AFTER} runs in a row. See `{command}`."
    );
    NewAlert {
        subjects: Vec::new(),
        narrowed: Vec::new(),
        event: AlertEvent::Caching,
        title: format!("{target}: prompt caching of {shown} stopped working"),
        payload: json!({
            "event": "caching",
            "target": target,
            "model": model,
            "text": text,
            "command": command,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regression_names_the_target_model_and_command() {
        let a = regression("local", "qwen");
        assert_eq!(a.event, AlertEvent::Caching);
        assert_eq!(a.title, "local: prompt caching of qwen stopped working");
        assert_eq!(
            a.payload.to_string(),
            r#"{"command":"apiradar cache-test local --model qwen","event":"caching","model":"qwen","target":"local","text":"Prompt caching of qwen on local stopped working: the identical-request test passed before and has now failed 3 runs in a row. See `apiradar cache-test local --model qwen`."}"#
        );
    }
}
