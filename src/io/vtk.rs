//! Legacy VTK files (`.vtk`, binary, readable by ParaView, VisIt and meshio) through the
//! `vtkio` crate: image data (a regular grid of points) with named scalar point arrays, written
//! atomically.

use std::path::Path;

use vtkio::model::{
    Attribute, Attributes, ByteOrder, DataSet, Extent, ImageDataPiece, Piece, Version, Vtk,
};

use crate::error::{IdfError, Result};

/// Writes `arrays` (each `dims[0]·dims[1]·dims[2]` values, x fastest) as point data of an image
/// of `dims` points with `spacing` between them, at the origin. Errors: an array of the wrong
/// length, named; the file cannot be written.
pub fn write_image(
    path: &Path,
    dims: [usize; 3],
    spacing: [f64; 3],
    arrays: &[(&str, &[f32])],
) -> Result<()> {
    let points = dims.iter().product::<usize>();
    let mut point = Vec::with_capacity(arrays.len());
    for (name, values) in arrays {
        if values.len() != points {
            return Err(IdfError::invalid(
                *name,
                format!("{} values for an image of {points} points", values.len()),
            ));
        }
        point.push(Attribute::scalars(*name, 1).with_data(values.to_vec()));
    }
    let extent = Extent::Dims(dims.map(|d| d as u32));
    let vtk = Vtk {
        version: Version::new_legacy(3, 0),
        title: format!(
            "IDF: {}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("data")
        ),
        byte_order: ByteOrder::BigEndian,
        file_path: None,
        data: DataSet::ImageData {
            extent: extent.clone(),
            origin: [0.0; 3],
            spacing: spacing.map(|s| s as f32),
            meta: None,
            pieces: vec![Piece::Inline(Box::new(ImageDataPiece {
                extent,
                data: Attributes {
                    point,
                    cell: Vec::new(),
                },
            }))],
        },
    };
    let mut bytes = Vec::new();
    vtk.write_legacy(&mut bytes).map_err(|e| IdfError::Encode {
        path: path.to_path_buf(),
        message: format!("VTK: {e}"),
    })?;
    super::write_atomic(path, &bytes)
}
