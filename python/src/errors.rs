//! IDF's errors as Python exceptions, with the library's messages. The classes live in
//! `idf.errors` (Python, so that they can subclass both `IdfError` and the built-in they refine,
//! such as `ValueError`); this maps each `IdfError` variant to its class.

use pyo3::prelude::*;

/// The `idf.errors` class for a library error.
fn class_of(e: &idf::IdfError) -> &'static str {
    use idf::IdfError as E;
    match e {
        E::NoAdapter(_) | E::DeviceRequest(_) => "NoAdapterError",
        E::Shader { .. } => "ShaderError",
        E::Diverged { .. } => "DivergenceError",
        E::OutOfMemory { .. } => "OutOfMemoryError",
        E::Dataset { .. } | E::Config { .. } => "FileFormatError",
        E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => "MissingFileError",
        E::Io { .. } | E::Encode { .. } => "FileAccessError",
        E::UnknownModel { .. }
        | E::UnknownParam { .. }
        | E::InvalidParam { .. }
        | E::InvalidShape(_)
        | E::Unsupported { .. }
        | E::BackendUnsupported { .. } => "InvalidInputError",
        _ => "IdfError",
    }
}

/// Builds the exception `class` of `idf.errors` with `message` and keyword attributes `attrs`.
fn raise(class: &str, message: String, attrs: Vec<(&str, Py<PyAny>)>) -> PyErr {
    Python::attach(|py| {
        let built = py
            .import("idf.errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.call1((message.clone(),)));
        match built {
            Ok(exc) => {
                for (name, value) in attrs {
                    if let Err(e) = exc.setattr(name, value) {
                        return e;
                    }
                }
                PyErr::from_value(exc)
            }
            // The Python half is missing (the native module imported alone): the built-in.
            Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
        }
    })
}

/// A library error as the Python exception of its kind.
pub fn to_py(e: idf::IdfError) -> PyErr {
    let attrs = Python::attach(|py| match &e {
        idf::IdfError::Diverged {
            step,
            step_size,
            suggested,
            ..
        } => vec![
            ("step", step.into_pyobject(py).unwrap().into_any().unbind()),
            (
                "step_size",
                step_size.into_pyobject(py).unwrap().into_any().unbind(),
            ),
            (
                "stable_step_size",
                suggested.into_pyobject(py).unwrap().into_any().unbind(),
            ),
        ],
        _ => Vec::new(),
    });
    raise(class_of(&e), e.to_string(), attrs)
}

/// Bad input `name`: `InvalidInputError` (a `ValueError`) with the library's wording.
pub fn invalid(name: &str, reason: &str) -> PyErr {
    to_py(idf::IdfError::invalid(name, reason))
}
