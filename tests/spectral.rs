//! The spectral machinery: the 2-D FFT (radix-2 Stockham passes, GPU kernel and CPU twin)
//! against rustfft in double precision, forward and inverse, on random data.

use idf::engine::spectral::SpectralGrid;
use idf::Context;
use rustfft::num_complex::Complex64;

/// Random complex data from the project's generator, [chains][height][width].
fn random(chains: usize, h: usize, w: usize, seed: u32) -> Vec<[f32; 2]> {
    (0..chains * h * w)
        .map(|i| {
            let r = idf::cpu::shared::rng::rng_draw(i as u32, 0, 0, seed, 21);
            let u = |b: u32| idf::cpu::shared::rng::unit_closed_open(b) * 2.0 - 1.0;
            [u(r[0]), u(r[1])]
        })
        .collect()
}

/// The reference 2-D DFT in f64 (rows, then columns), or its inverse without 1/N.
fn reference(
    data: &[[f32; 2]],
    chains: usize,
    h: usize,
    w: usize,
    inverse: bool,
) -> Vec<Complex64> {
    let mut x: Vec<Complex64> = data
        .iter()
        .map(|v| Complex64::new(v[0] as f64, v[1] as f64))
        .collect();
    crate::common::fft2(&mut x, h, w, inverse);
    debug_assert_eq!(x.len(), chains * h * w);
    x
}

/// The relative L2 error of `got` against `want`.
fn relative_error(got: &[[f32; 2]], want: &[Complex64]) -> f64 {
    let (mut err, mut norm) = (0.0, 0.0);
    for (g, w) in got.iter().zip(want) {
        err += (g[0] as f64 - w.re).powi(2) + (g[1] as f64 - w.im).powi(2);
        norm += w.norm_sqr();
    }
    (err / norm).sqrt()
}

/// Radix-2 FFTs in floating point have a relative L2 error of order ε·log2(N) (Higham,
/// "Accuracy and Stability of Numerical Algorithms", §24.1, with twiddles correct to ε); the
/// bound here is twice that, far below the O(1) error of a wrong twiddle or index.
fn bound(h: usize, w: usize) -> f64 {
    2.0 * f32::EPSILON as f64 * ((h * w) as f64).log2()
}

on_both! {
    fn fft_matches_rustfft_forward_and_inverse(ctx: &Context) {
        for (chains, h, w) in [(1, 2, 2), (3, 8, 16), (2, 64, 32), (1, 256, 256)] {
            let data = random(chains, h, w, (h * w) as u32);
            let mut grid = SpectralGrid::new(ctx, chains, h, w).unwrap();
            for inverse in [false, true] {
                let got = grid.fft(&data, inverse).unwrap();
                let want = reference(&data, chains, h, w, inverse);
                let e = relative_error(&got, &want);
                assert!(e <= bound(h, w), "{chains}x{h}x{w} inverse={inverse}: relative error {e:e} > {:e}", bound(h, w));
            }
            // Forward then inverse returns N times the data.
            let spectrum = grid.fft(&data, false).unwrap();
            let back = grid.fft(&spectrum, true).unwrap();
            let n = (h * w) as f32;
            let scaled: Vec<Complex64> = data.iter().map(|v| Complex64::new((v[0] * n) as f64, (v[1] * n) as f64)).collect();
            assert!(relative_error(&back, &scaled) <= 2.0 * bound(h, w));
        }
    }
}

/// Both backends compute the same passes with the same twiddles: their results agree to the
/// rounding of a few operations per pass.
#[test]
fn gpu_and_cpu_ffts_agree() {
    crate::common::on_gpu(|gpu| {
        let (chains, h, w) = (2, 32, 64);
        let data = random(chains, h, w, 5);
        let cpu = SpectralGrid::new(&Context::cpu(), chains, h, w)
            .unwrap()
            .fft(&data, false)
            .unwrap();
        let gpu = SpectralGrid::new(gpu, chains, h, w)
            .unwrap()
            .fft(&data, false)
            .unwrap();
        let want = reference(&data, chains, h, w, false);
        let as_c = |v: &[[f32; 2]]| -> Vec<Complex64> {
            v.iter()
                .map(|c| Complex64::new(c[0] as f64, c[1] as f64))
                .collect()
        };
        assert!(
            relative_error(&gpu, &as_c(&cpu)) <= bound(h, w),
            "GPU and CPU differ"
        );
        assert!(relative_error(&cpu, &want) <= bound(h, w));
    });
}

#[test]
fn sides_that_are_not_powers_of_two_are_refused() {
    let err = SpectralGrid::new(&Context::cpu(), 1, 24, 32)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("size") && err.contains("powers of two"),
        "{err}"
    );
}
