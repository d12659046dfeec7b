//! `idf._native`, the compiled half of IDF's Python package (PyO3, abi3): contexts, the sampling
//! job, energies and their gradients over NumPy arrays. The Python package `idf` (python/idf)
//! wraps it with keyword arguments, progress bars and docstrings; this module keeps to what
//! must be native: running IDF with the GIL released, watching for Ctrl-C, and moving arrays.

mod arrays;
mod diffusion;
mod errors;
mod jobs;
mod run;

use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use idf::engine::energies::StateKind;
use idf::{BackendChoice, EnergyModel, Field, Scene, Simulation};

use arrays::{field_from_array, field_to_array, trace_to_dict};
use errors::to_py;

/// A backend to run on: `Context("auto" | "gpu" | "cpu")`; `Context()` takes the environment's
/// `IDF_BACKEND` (auto, gpu or cpu), else auto, as the command line does.
#[pyclass(name = "Context", module = "idf._native", frozen)]
pub(crate) struct PyContext {
    pub(crate) inner: idf::Context,
}

#[pymethods]
impl PyContext {
    #[new]
    #[pyo3(signature = (backend = None))]
    fn new(backend: Option<&str>) -> PyResult<Self> {
        let choice = match backend {
            None => {
                return Ok(PyContext {
                    inner: idf::Context::new().map_err(to_py)?,
                })
            }
            Some("auto") => BackendChoice::Auto,
            Some("gpu") => BackendChoice::Gpu,
            Some("cpu") => BackendChoice::Cpu,
            Some(other) => {
                return Err(errors::invalid(
                    "backend",
                    &format!("`{other}`: use \"auto\", \"gpu\" or \"cpu\""),
                ))
            }
        };
        let inner = idf::Context::with_backend(choice).map_err(to_py)?;
        Ok(PyContext { inner })
    }

    /// `"cpu"` or `"gpu"`.
    #[getter]
    fn backend(&self) -> String {
        self.inner.backend().to_string()
    }

    /// The adapter's name (the CPU's description on the CPU backend).
    #[getter]
    fn adapter(&self) -> String {
        self.inner.adapter_name()
    }

    /// Why `"auto"` fell back to the CPU, if it did.
    #[getter]
    fn fallback_reason(&self) -> Option<String> {
        self.inner.fallback_reason().map(str::to_string)
    }

    fn __repr__(&self) -> String {
        format!("idf.Context({})", self.inner.describe())
    }
}

/// Runs the scene `scene_json` (a JSON object of scene keys) on `ctx`, starting from `initial`
/// when given, under the configuration `config_yaml` (idf.yaml text; the defaults when `None`);
/// `energy` (a name or FILE.wgsl path, with its parameters as JSON) replaces the scene's model.
/// Returns `(report_json, field, trace)`: the report `idf sample --json` prints, the final
/// samples [chains, C, H, W] float32 and the trace as a dict of arrays.
#[pyfunction]
#[pyo3(signature = (ctx, scene_json, config_yaml = None, initial = None, progress = None, energy = None))]
fn sample<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    scene_json: &str,
    config_yaml: Option<&str>,
    initial: Option<PyReadonlyArrayDyn<'py, f32>>,
    progress: Option<Bound<'py, PyAny>>,
    energy: Option<(String, String)>,
) -> PyResult<(String, Bound<'py, PyArrayDyn<f32>>, Bound<'py, PyDict>)> {
    let config = jobs::config(config_yaml)?;
    let scene = scene_with_energy(scene_json, energy)?;
    let mut job = scene.resolve(&config).map_err(to_py)?;
    if let Some(array) = initial {
        let field = field_from_array("initial", &array)?;
        if field.shape() != job.shape {
            return Err(errors::invalid(
                "initial",
                &format!(
                    "shape {:?} is not the scene's [chains, C, H, W] = {:?}",
                    field.shape().dims(),
                    job.shape.dims()
                ),
            ));
        }
        if job.model.state() == StateKind::Spins {
            if let Some(i) = field.data().iter().position(|v| v.abs() != 1.0) {
                return Err(errors::invalid(
                    "initial",
                    &format!(
                        "{} takes spins ±1; value {} at flat index {i}",
                        job.model.name(),
                        field.data()[i]
                    ),
                ));
            }
        }
        job.initial = Some(field);
    }
    let report = run::watched(py, &ctx.inner, progress, |ctx, progress| {
        idf::jobs::sample::sample(ctx, &job, progress)
    })?;
    Ok((
        report.to_json().to_string(),
        field_to_array(py, &report.field)?,
        trace_to_dict(py, &report.trace)?,
    ))
}

/// The scene of the JSON object `scene_json`, with `energy` (a name or FILE.wgsl path and its
/// parameters as JSON) in place of its model when given. List parameters (gmm's weights) are
/// taken as an `Energy` takes them.
pub(crate) fn scene_with_energy(
    scene_json: &str,
    energy: Option<(String, String)>,
) -> PyResult<Scene> {
    let mut keys: serde_json::Value =
        serde_json::from_str(scene_json).map_err(|e| errors::invalid("scene", &e.to_string()))?;
    if let Some(params) = keys.get_mut("params").and_then(|p| p.as_object_mut()) {
        for value in params.values_mut().filter(|v| v.is_array()) {
            *value = serde_json::Value::String(param_text(value));
        }
    }
    let mut scene = Scene::from_json(keys).map_err(to_py)?;
    if let Some((name, params)) = energy {
        scene.energy = Some(model(&name, &params)?);
    }
    Ok(scene)
}

/// The model `name` with parameters `params_json` (a JSON object of name → value).
pub(crate) fn model(name: &str, params_json: &str) -> PyResult<EnergyModel> {
    let params: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(params_json).map_err(|e| errors::invalid("params", &e.to_string()))?;
    let pairs: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| (k, param_text(&v)))
        .collect();
    EnergyModel::from_params(name, &pairs).map_err(to_py)
}

/// A parameter's value in the text form models parse: numbers as written, lists joined by `,`,
/// lists of lists (gmm's means) as rows joined by `;` (`[[-2, 0], [2, 1]]` is `-2,0;2,1`).
fn param_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            let rows = items.iter().any(serde_json::Value::is_array);
            let parts: Vec<String> = items.iter().map(param_text).collect();
            parts.join(if rows { ";" } else { "," })
        }
        other => other.to_string(),
    }
}

/// Every number in `value` written as the shortest decimal that gives the same f32 (0.8, not
/// 0.800000011920929): the values a model holds, as a user typed them.
fn shortest_f32(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(v) = n.as_f64() {
                let shortest: f64 = (v as f32).to_string().parse().unwrap_or(v);
                *value = serde_json::json!(shortest);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(shortest_f32),
        serde_json::Value::Object(map) => map.values_mut().for_each(shortest_f32),
        _ => {}
    }
}

/// The parameters of model `name` with `params_json` applied, as JSON (numbers as the f32 the
/// model holds, in their shortest decimal form).
#[pyfunction]
fn model_params_json(name: &str, params_json: &str) -> PyResult<String> {
    let mut params = model(name, params_json)?.params_json();
    shortest_f32(&mut params);
    Ok(params.to_string())
}

/// Runs `look` on a simulation of model `name` (with `params_json`) over the field `array`
/// (argument `x`), with the GIL released.
fn on_field<T: Send>(
    py: Python<'_>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    array: &PyReadonlyArrayDyn<'_, f32>,
    look: impl FnOnce(&mut Simulation) -> idf::Result<T> + Send,
) -> PyResult<T> {
    let model = model(name, params_json)?;
    let field: Field = field_from_array("x", array)?;
    py.detach(|| {
        model.check_shape(field.shape())?;
        look(&mut Simulation::new(&ctx.inner, &model, &field, 0)?)
    })
    .map_err(to_py)
}

/// The energy of each chain of `field` [chains, C, H, W] under model `name`: float64 [chains].
#[pyfunction]
fn energy<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    field: PyReadonlyArrayDyn<'py, f32>,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let energies = on_field(py, ctx, name, params_json, &field, |sim| sim.energies())?;
    Ok(numpy::PyArray1::from_vec(py, energies))
}

/// ∂E/∂x of `field` [chains, C, H, W] under model `name`: float32, the field's shape.
#[pyfunction]
fn energy_gradient<'py>(
    py: Python<'py>,
    ctx: &PyContext,
    name: &str,
    params_json: &str,
    field: PyReadonlyArrayDyn<'py, f32>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let gradient = on_field(py, ctx, name, params_json, &field, |sim| {
        sim.energy_gradient(1.0)
    })?;
    field_to_array(py, &gradient)
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Fusion plans timed in one Python process serve the next, as for the idf binary.
    idf::engine::fusion_plan::keep_plans_in(idf::engine::fusion_plan::default_plan_file());
    m.add_class::<PyContext>()?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(model_params_json, m)?)?;
    m.add_function(wrap_pyfunction!(energy, m)?)?;
    m.add_function(wrap_pyfunction!(energy_gradient, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::validate, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::render, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::train, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::optimize, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::optimize_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion::noise_schedule, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion::forward_diffuse, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion::reverse_denoise, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion::boltzmann_weight, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
