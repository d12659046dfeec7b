//! The standard errors of a maximum-likelihood fit from the Fisher information, estimated on
//! the persistent chains: per-update moments of ∂E/∂θ, their covariance over a window, and the
//! small matrix inverse it needs.

/// One update's moments of ∂E/∂θ over the persistent chains (`rows`, [chains][k]): the count,
/// the k sums and the k² sums of products, so that the Fisher information over any window of
/// updates can be formed later (and a resumed fit keeps them in its checkpoint).
pub(super) fn moments(rows: &[Vec<f64>]) -> Vec<f64> {
    let k = rows.first().map_or(0, Vec::len);
    let mut m = vec![0.0; 1 + k + k * k];
    m[0] = rows.len() as f64;
    for r in rows {
        for i in 0..k {
            m[1 + i] += r[i];
            for j in 0..k {
                m[1 + k + i * k + j] += r[i] * r[j];
            }
        }
    }
    m
}

/// Standard errors of the free parameters of a maximum-likelihood fit to `n` samples:
/// √diag(I⁻¹/n), with I the covariance of ∂E/∂θ over the model samples whose [`moments`] are
/// `window`, divided by t². Fixed parameters get 0; a singular information gives NaN.
pub(super) fn fisher_stderr(window: &[Vec<f64>], free: &[bool], t: f64, n: usize) -> Vec<f64> {
    let k = free.len();
    let idx: Vec<usize> = (0..k).filter(|&j| free[j]).collect();
    let mut out = vec![0.0; k];
    let mut total = vec![0.0; 1 + k + k * k];
    for m in window {
        for (acc, v) in total.iter_mut().zip(m) {
            *acc += v;
        }
    }
    let count = total[0];
    if count < 2.0 || idx.is_empty() {
        return out;
    }
    let mean = |i: usize| total[1 + i] / count;
    let d = idx.len();
    let mut info = vec![vec![0.0; d]; d];
    for (a, &i) in idx.iter().enumerate() {
        for (b, &j) in idx.iter().enumerate() {
            let co = (total[1 + k + i * k + j] - count * mean(i) * mean(j)) / (count - 1.0);
            info[a][b] = co / (t * t);
        }
    }
    match invert(info) {
        Some(inv) => {
            for (a, &j) in idx.iter().enumerate() {
                out[j] = (inv[a][a] / n as f64).sqrt();
            }
        }
        None => idx.iter().for_each(|&j| out[j] = f64::NAN),
    }
    out
}

/// The inverse of a small symmetric positive-definite matrix by Gauss–Jordan elimination with
/// partial pivoting; `None` when it is singular.
pub(super) fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..n {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for row in 0..n {
            if row != col {
                let f = a[row][col];
                for j in 0..n {
                    a[row][j] -= f * a[col][j];
                    inv[row][j] -= f * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}
