//! NumPy arrays in and out: fields are float32 [chains, C, H, W], C-contiguous (the Python half
//! converts other dtypes and layouts before they get here); traces become dicts of arrays.

use numpy::{
    PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use idf::{Field, Observable, RunTrace, Shape};

use crate::errors::invalid;

/// A field from `array` (argument `name`): 4-D [chains, C, H, W], C-contiguous, finite.
pub fn field_from_array(name: &str, array: &PyReadonlyArrayDyn<'_, f32>) -> PyResult<Field> {
    let dims = array.shape();
    let [chains, c, h, w] = dims[..] else {
        return Err(invalid(
            name,
            &format!(
                "{}-D array {dims:?}: a field is 4-D [chains, C, H, W]",
                dims.len()
            ),
        ));
    };
    let values = array.as_slice().map_err(|_| {
        invalid(
            name,
            "the array is not C-contiguous (np.ascontiguousarray makes it so)",
        )
    })?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(invalid(
            name,
            &format!("value {} at flat index {i} is not finite", values[i]),
        ));
    }
    let shape = Shape::new(chains, c, h, w).map_err(crate::errors::to_py)?;
    Field::from_vec(shape, values.to_vec()).map_err(crate::errors::to_py)
}

/// `field` as a float32 array [chains, C, H, W].
pub fn field_to_array<'py>(
    py: Python<'py>,
    field: &Field,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    PyArray1::from_slice(py, field.data()).reshape(field.shape().dims().to_vec())
}

/// The observables `idf.Trace` exposes, by key.
const SERIES: [(&str, Observable); 8] = [
    ("energy", Observable::Energy),
    ("energy_per_site", Observable::EnergyPerSite),
    ("mean", Observable::Mean),
    ("variance", Observable::Variance),
    ("abs_magnetization", Observable::AbsMagnetization),
    ("acceptance", Observable::Acceptance),
    ("delta_h", Observable::DeltaH),
    ("chain_temperature", Observable::Temperature),
];

/// `trace` as a dict: `step` uint64 [R], `temperature` float32 [R], and each observable that
/// applies at some record as float64 [R, chains], NaN at records where it does not (the
/// acceptance before the first step).
pub fn trace_to_dict<'py>(py: Python<'py>, trace: &RunTrace) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let steps: Vec<u64> = trace.records.iter().map(|r| r.step).collect();
    let temperatures: Vec<f32> = trace.records.iter().map(|r| r.temperature).collect();
    dict.set_item("step", PyArray1::from_vec(py, steps))?;
    dict.set_item("temperature", PyArray1::from_vec(py, temperatures))?;
    for (key, obs) in SERIES {
        let records = trace.records.len();
        let rows: Vec<Vec<Option<f64>>> = (0..records)
            .map(|r| (0..trace.chains).map(|c| trace.value(obs, r, c)).collect())
            .collect();
        if !rows.iter().flatten().any(Option::is_some) {
            continue;
        }
        let rows: Vec<Vec<f64>> = rows
            .into_iter()
            .map(|row| row.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            .collect();
        let array = PyArray2::from_vec2(py, &rows).map_err(|e| invalid("trace", &e.to_string()))?;
        dict.set_item(key, array)?;
    }
    Ok(dict)
}
