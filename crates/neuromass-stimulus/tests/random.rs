//! The counter-based generator: Random123 known answers, purity, distribution and the
//! Ornstein-Uhlenbeck state machine.

use neuromass_stimulus::random::philox4x32_10;
use neuromass_stimulus::{NoiseStream, OuProcess, OuState, stream_key};

/// Random123's `tests/kat_vectors`, the three `philox4x32 10` lines
/// (counter words, key words, expected output).
#[test]
fn philox4x32_10_known_answers() {
    let kat: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        (
            [0; 4],
            [0; 2],
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd],
        ),
        (
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0],
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
        ),
    ];
    for (ctr, key, expected) in kat {
        assert_eq!(philox4x32_10(ctr, key), expected);
    }
}

#[test]
fn draws_are_pure_functions_of_key_and_counter() {
    let key = stream_key(7, &[1, 2, 3]);
    let mut a = NoiseStream::new(key);
    let forward: Vec<f64> = (0..1000).map(|i| a.normal(i)).collect();
    let mut b = NoiseStream::new(key);
    for i in (0..1000).rev() {
        assert_eq!(b.normal(i), forward[i as usize]);
    }
    let mut c = NoiseStream::new(key);
    for i in [500u64, 3, 999, 0, 1, 501] {
        assert_eq!(c.normal(i), forward[i as usize]);
    }
    for block in 0..500 {
        assert_eq!(
            a.normal_pair(block),
            [forward[2 * block as usize], forward[2 * block as usize + 1]]
        );
    }
    assert_eq!(a.uniform(5), NoiseStream::new(key).uniform(5));
}

#[test]
fn stream_keys_differ() {
    let mut keys = vec![stream_key(0, &[]), stream_key(1, &[])];
    for seed in 0..4 {
        for a in 0..8 {
            keys.push(stream_key(seed, &[a]));
            for b in 0..8 {
                keys.push(stream_key(seed, &[a, b]));
                keys.push(stream_key(seed, &[a, b, 0]));
            }
        }
    }
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert_eq!(stream_key(3, &[1, 2]), stream_key(3, &[1, 2]));
}

/// Moments of 2 million normals: mean, variance, skewness and excess kurtosis within 5
/// standard errors (sqrt(1/N), sqrt(2/N), sqrt(6/N), sqrt(24/N)); tail fractions (|z| > 1,
/// 2, 3, 3.5, 4) within 5
/// binomial standard errors; uniforms: mean 1/2 and variance 1/12.
#[test]
fn normal_and_uniform_distributions() {
    let n = 2_000_000u64;
    let nf = n as f64;
    let mut s = NoiseStream::new(stream_key(11, &[0]));
    let (mut m1, mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0, 0.0);
    let mut tail = [0u64; 5];
    for i in 0..n {
        let x = s.normal(i);
        m1 += x;
        m2 += x * x;
        m3 += x * x * x;
        m4 += x * x * x * x;
        // 3.5 and 4 lie beyond the ziggurat's base layer (R = 3.4426): its tail algorithm.
        for (t, limit) in tail.iter_mut().zip([1.0, 2.0, 3.0, 3.5, 4.0]) {
            if x.abs() > limit {
                *t += 1;
            }
        }
    }
    let (m1, m2, m3, m4) = (m1 / nf, m2 / nf, m3 / nf, m4 / nf);
    let within = |what: &str, x: f64, target: f64, se: f64| {
        let z = (x - target).abs() / se;
        println!("{what}: {x:.6} vs {target:.6} ({z:.2} SE)");
        assert!(z <= 5.0, "{what}");
    };
    within("mean", m1, 0.0, (1.0 / nf).sqrt());
    within("variance", m2, 1.0, (2.0 / nf).sqrt());
    within("skewness", m3, 0.0, (6.0 / nf).sqrt());
    within("excess kurtosis", m4 - 3.0, 0.0, (24.0 / nf).sqrt());
    for (t, p) in tail.iter().zip([
        0.317_310_507_862_914,
        0.045_500_263_896_358,
        0.002_699_796_063_26,
        4.652_581_580_710_1e-4,
        6.334_248_366_623_996e-5,
    ]) {
        within(
            "tail fraction",
            *t as f64 / nf,
            p,
            (p * (1.0 - p) / nf).sqrt(),
        );
    }
    let u: Vec<f64> = (0..n).map(|i| s.uniform(i)).collect();
    assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
    let mu = u.iter().sum::<f64>() / nf;
    let vu = u.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / nf;
    within("uniform mean", mu, 0.5, (1.0 / 12.0 / nf).sqrt());
    within(
        "uniform variance",
        vu,
        1.0 / 12.0,
        (1.0 / 180.0 / nf).sqrt(),
    );
}

#[test]
fn ou_process_is_neurolibs_euler_scheme() {
    let key = stream_key(5, &[0]);
    let (mu, sigma, tau, dt) = (0.4, 0.3, 5.0, 0.1);
    let mut ou = OuProcess::new(mu, sigma, tau, key).unwrap();
    let mut s = NoiseStream::new(key);
    let mut x = s.uniform(0) * mu;
    assert!((0.0..mu).contains(&x));
    for k in 0..1000 {
        assert_eq!(ou.next(dt), x);
        x = x + dt * ((mu - x) / tau) + sigma * dt.sqrt() * s.normal(k);
    }
    assert_eq!(
        ou.state(),
        OuState {
            value: x,
            step: 1000
        }
    );
}

#[test]
fn ou_checkpoint_and_restore() {
    let mut a = OuProcess::new(1.0, 0.5, 5.0, 99).unwrap();
    let one_pass: Vec<f64> = (0..2000).map(|_| a.next(0.1)).collect();
    let mut b = OuProcess::new(1.0, 0.5, 5.0, 99).unwrap();
    let mut chunks: Vec<f64> = (0..700).map(|_| b.next(0.1)).collect();
    let saved = b.state();
    let mut c = OuProcess::new(1.0, 0.5, 5.0, 99).unwrap();
    c.set_state(saved);
    chunks.extend((700..2000).map(|_| c.next(0.1)));
    assert_eq!(chunks, one_pass);
    c.reset();
    assert_eq!(c.next(0.1), one_pass[0]);
    assert_eq!(c.value(), one_pass[1]);
    assert_eq!((c.mu(), c.sigma(), c.tau(), c.key()), (1.0, 0.5, 5.0, 99));
}

#[test]
fn ou_parameters_are_checked() {
    for (mu, sigma, tau, name) in [
        (0.0, -0.1, 5.0, "sigma"),
        (0.0, 0.1, -5.0, "tau"),
        (0.0, 0.1, 0.0, "tau"),
        (f64::NAN, 0.1, 5.0, "mu"),
        (0.0, f64::INFINITY, 5.0, "sigma"),
    ] {
        let err = OuProcess::new(mu, sigma, tau, 0).unwrap_err();
        assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
    }
    let mut ou = OuProcess::new(0.0, 0.1, 5.0, 0).unwrap();
    assert!(ou.set_params(0.0, 0.1, -1.0).is_err());
    ou.set_params(1.0, 0.0, 2.0).unwrap();
    assert_eq!(ou.mu(), 1.0);
}
