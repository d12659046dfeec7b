//! NumPy `.npy` (format 1.0) for f32 arrays: written atomically, read back with shape checks.

use std::path::Path;

use crate::engine::field::{Field, Shape};
use crate::error::{IdfError, Result};
use crate::io::write_atomic;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Encodes an f32 array of `dims` as `.npy` bytes (little-endian, C order).
pub fn encode_f32(dims: &[usize], data: &[f32]) -> Vec<u8> {
    let shape = match dims {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes a field as a 4-D `.npy` array `[chains, channels, height, width]`.
pub fn write_field(path: &Path, field: &Field) -> Result<()> {
    write_atomic(path, &encode_f32(&field.shape().dims(), field.data()))
}

/// Reads a little-endian f32 `.npy` array: its dimensions and values.
pub fn read_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).map_err(|e| IdfError::io(path, e))?;
    let bad = |why: &str| IdfError::invalid("npy", format!("{}: {why}", path.display()));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("not a .npy file"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unsupported .npy version")),
    };
    let header = std::str::from_utf8(
        bytes
            .get(start..start + header_len)
            .ok_or_else(|| bad("truncated header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    if !header.contains("'descr': '<f4'") {
        return Err(bad(
            "only little-endian float32 ('<f4') arrays are supported",
        ));
    }
    if header.contains("'fortran_order': True") {
        return Err(bad("Fortran-order arrays are not supported"));
    }
    let shape_text = header
        .split("'shape':")
        .nth(1)
        .and_then(|s| s.split('(').nth(1))
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape in header"))?;
    let dims = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<Vec<_>>>()?;
    let body = &bytes[start + header_len..];
    let count: usize = dims.iter().product();
    if body.len() != count * 4 {
        return Err(bad("data length does not match the shape"));
    }
    let data = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((dims, data))
}

/// Reads a 4-D `.npy` array as a field.
pub fn read_field(path: &Path) -> Result<Field> {
    let (dims, data) = read_f32(path)?;
    let [c, ch, h, w] = dims[..] else {
        return Err(IdfError::InvalidShape(format!(
            "{}: expected a 4-D array [chains, channels, height, width], got {dims:?}",
            path.display()
        )));
    };
    Field::from_vec(Shape::new(c, ch, h, w)?, data)
}
