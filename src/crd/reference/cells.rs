//! The cells of one row of the API reference tables, rendered from one field's schema: type,
//! default, validation and description. Pure string functions; [`escape_cell`] makes any of them
//! safe inside a Markdown table cell.
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool, ValidationRule,
};

/// Makes `text` one Markdown table cell: `|` is escaped (also inside code spans, as GitHub
/// Flavored Markdown requires) and line breaks become `<br>`.
pub fn escape_cell(text: &str) -> String {
    text.replace("\r\n", "\n").replace('|', "\\|").replace('\n', "<br>")
}

/// Prose written as Markdown (a schema description, from a doc comment): code spans are kept,
/// an unmatched backtick is escaped so it cannot swallow the rest of the cell, and `<` outside
/// code becomes `&lt;` so text such as `<webhook name>` is shown rather than taken for HTML.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['`', '<']) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if rest.starts_with('<') {
            out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        }
        let run = rest.len() - rest.trim_start_matches('`').len();
        match closing_run(&rest[run..], run) {
            Some(end) => {
                out.push_str(&rest[..run + end + run]);
                rest = &rest[run + end + run..];
            }
            None => {
                out.push_str(&"\\`".repeat(run));
                rest = &rest[run..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where in `text` a run of exactly `len` backticks starts (the end of a code span), if any.
fn closing_run(text: &str, len: usize) -> Option<usize> {
    let mut offset = 0;
    while let Some(start) = text[offset..].find('`') {
        let start = offset + start;
        let run = text[start..].len() - text[start..].trim_start_matches('`').len();
        if run == len {
            return Some(start);
        }
        offset = start + run;
    }
    None
}

/// Plain text (a CEL rule's message, shown by the apiserver as is) as Markdown: every character
/// Markdown could take for markup is backslash-escaped, and `<` becomes `&lt;`.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` as one inline code span, whatever backticks it contains; line breaks become spaces.
pub fn code(text: &str) -> String {
    let text = text.replace("\r\n", " ").replace('\n', " ");
    if text.is_empty() {
        return "<code></code>".to_string();
    }
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{text}{space}{fence}")
}

/// A JSON value (default, enum member) as code: strings without quotes unless empty, anything
/// else as compact JSON.
pub fn code_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => code(s),
        other => code(&other.to_string()),
    }
}

/// A schema number without a needless `.0` (`minimum: 1.0` is shown as `1`).
pub fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// The type of a field as a reader says it: `string (date-time)`, `integer (int64)`,
/// `array of string`, `map of string`, `integer or string`, `any`.
pub fn type_name(schema: &JSONSchemaProps) -> String {
    if schema.x_kubernetes_int_or_string == Some(true) {
        return "integer or string".to_string();
    }
    let base = match schema.type_.as_deref() {
        Some("array") => match &schema.items {
            Some(JSONSchemaPropsOrArray::Schema(items)) => format!("array of {}", type_name(items)),
            _ => "array".to_string(),
        },
        Some("object") if schema.properties.is_none() => match &schema.additional_properties {
            Some(JSONSchemaPropsOrBool::Schema(values)) => format!("map of {}", type_name(values)),
            Some(JSONSchemaPropsOrBool::Bool(true)) => "map of any".to_string(),
            _ => "object".to_string(),
        },
        Some(t) => t.to_string(),
        None => "any".to_string(),
    };
    match &schema.format {
        Some(format) => format!("{base} ({format})"),
        None => base,
    }
}

/// The default of a field as code, or an empty string.
pub fn default_value(schema: &JSONSchemaProps) -> String {
    schema.default.as_ref().map(|d| code_json(&d.0)).unwrap_or_default()
}

/// Every constraint of a field, one entry per line: enum, pattern, lengths, item counts, bounds,
/// list type and the CEL rules (with their messages). Constraints on the items of an array follow,
/// each prefixed with `each item:`.
pub fn validation(schema: &JSONSchemaProps) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(values) = &schema.enum_ {
        out.push(format!("one of: {}", values.iter().map(|v| code_json(&v.0)).collect::<Vec<_>>().join(", ")));
    }
    if let Some(pattern) = &schema.pattern {
        out.push(format!("pattern: {}", code(pattern)));
    }
    let counts = [
        ("minLength", schema.min_length),
        ("maxLength", schema.max_length),
        ("minItems", schema.min_items),
        ("maxItems", schema.max_items),
        ("minProperties", schema.min_properties),
        ("maxProperties", schema.max_properties),
    ];
    out.extend(counts.into_iter().filter_map(|(name, n)| n.map(|n| format!("{name}: {n}"))));
    let exclusive = |flag: Option<bool>| if flag == Some(true) { " (exclusive)" } else { "" };
    if let Some(min) = schema.minimum {
        out.push(format!("minimum: {}{}", number(min), exclusive(schema.exclusive_minimum)));
    }
    if let Some(max) = schema.maximum {
        out.push(format!("maximum: {}{}", number(max), exclusive(schema.exclusive_maximum)));
    }
    if let Some(step) = schema.multiple_of {
        out.push(format!("multipleOf: {}", number(step)));
    }
    if schema.unique_items == Some(true) {
        out.push("items unique".to_string());
    }
    if let Some(list_type) = &schema.x_kubernetes_list_type {
        let keys = match &schema.x_kubernetes_list_map_keys {
            Some(keys) => format!(", keys: {}", keys.iter().map(|k| code(k)).collect::<Vec<_>>().join(", ")),
            None => String::new(),
        };
        out.push(format!("listType: {}{keys}", code(list_type)));
    }
    out.extend(schema.x_kubernetes_validations.iter().flatten().map(cel_rule));
    if let Some(JSONSchemaPropsOrArray::Schema(items)) = &schema.items {
        out.extend(validation(items).into_iter().map(|v| format!("each item: {v}")));
    }
    out
}

/// One `x-kubernetes-validations` rule: `CEL <rule>: <message>` plus reason and field path when set.
pub fn cel_rule(rule: &ValidationRule) -> String {
    let mut text = format!("CEL {}", code(&rule.rule));
    if let Some(message) = &rule.message {
        text.push_str(&format!(": {}", plain_text(message)));
    } else if let Some(expression) = &rule.message_expression {
        text.push_str(&format!(": message from {}", code(expression)));
    }
    let mut notes = Vec::new();
    if let Some(reason) = &rule.reason {
        notes.push(format!("reason {}", code(reason)));
    }
    if let Some(field_path) = &rule.field_path {
        notes.push(format!("fieldPath {}", code(field_path)));
    }
    if rule.optional_old_self == Some(true) {
        notes.push("optionalOldSelf".to_string());
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSON;

    fn typed(type_: &str) -> JSONSchemaProps {
        JSONSchemaProps { type_: Some(type_.into()), ..Default::default() }
    }

    #[test]
    fn cells_escape_pipes_and_line_breaks() {
        assert_eq!(escape_cell("a|b"), "a\\|b");
        assert_eq!(escape_cell("one\ntwo\r\nthree"), "one<br>two<br>three");
        assert_eq!(escape_cell("`x|y`"), "`x\\|y`");
        assert_eq!(escape_cell("plain"), "plain");
    }

    #[test]
    fn prose_escapes_angle_brackets_outside_code_only() {
        assert_eq!(escape_text("the Secret \"<name>-secret\""), "the Secret \"&lt;name>-secret\"");
        assert_eq!(escape_text("`<kept>` but <escaped>"), "`<kept>` but &lt;escaped>");
        assert_eq!(escape_text("``a`b`` and <x>"), "``a`b`` and &lt;x>");
    }

    #[test]
    fn prose_escapes_unmatched_backticks() {
        assert_eq!(escape_text("chars !#`|~ only"), "chars !#\\`|~ only");
        assert_eq!(escape_text("`a` and ``b"), "`a` and \\`\\`b");
        assert_eq!(escape_text("`one` then `two`"), "`one` then `two`");
    }

    #[test]
    fn plain_text_escapes_markup() {
        assert_eq!(plain_text("!#$%&'*+-.^_`|~ only"), "!#$%&'\\*+-.^\\_\\`|\\~ only");
        assert_eq!(plain_text("^[a-z]+$ in <name>"), "^\\[a-z\\]+$ in &lt;name>");
        assert_eq!(plain_text("a\\b"), "a\\\\b");
    }

    #[test]
    fn code_spans_survive_backticks_spaces_and_newlines() {
        assert_eq!(code("self == oldSelf"), "`self == oldSelf`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code(" padded "), "`  padded  `");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(code(""), "<code></code>");
    }

    #[test]
    fn json_values_render_as_code() {
        assert_eq!(code_json(&serde_json::json!("Delete")), "`Delete`");
        assert_eq!(code_json(&serde_json::json!("")), "`\"\"`");
        assert_eq!(code_json(&serde_json::json!(true)), "`true`");
        assert_eq!(code_json(&serde_json::json!([])), "`[]`");
        assert_eq!(code_json(&serde_json::json!({"a": 1})), "`{\"a\":1}`");
    }

    #[test]
    fn numbers_drop_a_needless_fraction() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(0.5), "0.5");
    }

    #[test]
    fn types_name_format_items_and_maps() {
        assert_eq!(type_name(&typed("boolean")), "boolean");
        let timestamp = JSONSchemaProps { format: Some("date-time".into()), ..typed("string") };
        assert_eq!(type_name(&timestamp), "string (date-time)");
        let ints = JSONSchemaProps {
            items: Some(JSONSchemaPropsOrArray::Schema(Box::new(JSONSchemaProps {
                format: Some("int64".into()),
                ..typed("integer")
            }))),
            ..typed("array")
        };
        assert_eq!(type_name(&ints), "array of integer (int64)");
        let nested = JSONSchemaProps { items: Some(JSONSchemaPropsOrArray::Schema(Box::new(ints))), ..typed("array") };
        assert_eq!(type_name(&nested), "array of array of integer (int64)");
        let map = JSONSchemaProps {
            additional_properties: Some(JSONSchemaPropsOrBool::Schema(Box::new(typed("string")))),
            ..typed("object")
        };
        assert_eq!(type_name(&map), "map of string");
        assert_eq!(type_name(&typed("object")), "object");
        let int_or_string = JSONSchemaProps { x_kubernetes_int_or_string: Some(true), ..Default::default() };
        assert_eq!(type_name(&int_or_string), "integer or string");
        assert_eq!(type_name(&JSONSchemaProps::default()), "any");
    }

    #[test]
    fn validation_lists_constraints_rules_and_item_constraints() {
        let schema = JSONSchemaProps {
            enum_: Some(vec![JSON(serde_json::json!("A")), JSON(serde_json::json!("B"))]),
            pattern: Some("^[a-z]+$".into()),
            min_length: Some(1),
            maximum: Some(10.0),
            exclusive_maximum: Some(true),
            x_kubernetes_list_type: Some("map".into()),
            x_kubernetes_list_map_keys: Some(vec!["name".into()]),
            x_kubernetes_validations: Some(vec![ValidationRule {
                rule: "self == oldSelf".into(),
                message: Some("is immutable".into()),
                reason: Some("FieldValueInvalid".into()),
                ..Default::default()
            }]),
            items: Some(JSONSchemaPropsOrArray::Schema(Box::new(JSONSchemaProps {
                max_length: Some(5),
                ..typed("string")
            }))),
            ..typed("array")
        };
        assert_eq!(
            validation(&schema),
            [
                "one of: `A`, `B`",
                "pattern: `^[a-z]+$`",
                "minLength: 1",
                "maximum: 10 (exclusive)",
                "listType: `map`, keys: `name`",
                "CEL `self == oldSelf`: is immutable (reason `FieldValueInvalid`)",
                "each item: maxLength: 5",
            ]
        );
        assert!(validation(&typed("string")).is_empty());
    }

    #[test]
    fn rules_without_message_show_the_message_expression() {
        let rule = ValidationRule {
            rule: "self.size() < 3".into(),
            message_expression: Some("'too long: ' + string(self.size())".into()),
            ..Default::default()
        };
        assert_eq!(cel_rule(&rule), "CEL `self.size() < 3`: message from `'too long: ' + string(self.size())`");
        let bare = ValidationRule { rule: "true".into(), ..Default::default() };
        assert_eq!(cel_rule(&bare), "CEL `true`");
    }

    #[test]
    fn defaults_render_as_code_or_nothing() {
        let with_default = JSONSchemaProps { default: Some(JSON(serde_json::json!(true))), ..typed("boolean") };
        assert_eq!(default_value(&with_default), "`true`");
        assert_eq!(default_value(&typed("boolean")), "");
    }
}
