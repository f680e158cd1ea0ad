//! Placeholder: rendering of `%%VAR%%` templates (owned by the gen-triggers work).

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Placeholder until the renderer lands.
    #[error("template line {line}: {message}")]
    Invalid { line: usize, message: String },
}
