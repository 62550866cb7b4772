//! Deterministic random weights and their on-disk encodings.

/// Standard deviation of the random matrices, the usual initialisation scale for transformers.
pub(crate) const WEIGHT_STD: f32 = 0.02;

const SQRT_3: f32 = 1.732_050_8;

/// SplitMix64: tiny, fast, and good enough for initialising weights. Owning the generator
/// keeps files byte-identical across versions of any random-number crate.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for one tensor: its stream depends on the model seed and the tensor's name
    /// only, so a tensor's values do not change when other tensors are added or reordered.
    pub fn for_tensor(seed: u64, name: &str) -> Self {
        let mut mixer = SplitMix64(seed ^ fnv1a(name.as_bytes()));
        SplitMix64(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An approximately standard-normal sample: the Irwin–Hall sum of four 16-bit uniforms,
    /// centred and scaled to unit variance. One generator step per sample keeps writing a
    /// 100M-parameter file fast; the tails are cut at ±3.46σ, which weights do not miss.
    pub fn next_normal(&mut self) -> f32 {
        const MASK: u64 = 0xFFFF;
        let bits = self.next_u64();
        let sum = (bits & MASK) + ((bits >> 16) & MASK) + ((bits >> 32) & MASK) + (bits >> 48);
        // Each uniform is k/65535 in [0, 1]: mean 1/2, variance 1/12; four of them: mean 2,
        // variance 1/3.
        let sum = sum as f32 / 65535.0;
        (sum - 2.0) * SQRT_3
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// IEEE 754 binary16 bits of `x`, rounded to nearest, ties to even (as `ggml_fp32_to_fp16` does).
pub(crate) fn f32_to_f16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xFF) as i32;
    let man = bits & 0x007F_FFFF;

    if exp == 0xFF {
        let nan = if man != 0 { 0x0200 } else { 0 };
        return sign | 0x7C00 | nan;
    }
    let half_exp = exp - 127 + 15;
    if half_exp >= 0x1F {
        return sign | 0x7C00;
    }
    if half_exp <= 0 {
        // Subnormal half: value = m × 2^-24, and m = (1.man) × 2^(half_exp + 10), so the
        // 24-bit significand is shifted right by 14 - half_exp.
        let shift = (14 - half_exp) as u32;
        if shift > 24 {
            return sign;
        }
        let full = man | 0x0080_0000;
        let mut half = (full >> shift) as u16;
        let rem = full & ((1 << shift) - 1);
        let halfway = 1 << (shift - 1);
        if rem > halfway || (rem == halfway && half & 1 == 1) {
            // A carry into bit 10 correctly yields the smallest normal.
            half += 1;
        }
        return sign | half;
    }
    let mut half = ((half_exp as u32) << 10 | (man >> 13)) as u16;
    let rem = man & 0x1FFF;
    if rem > 0x1000 || (rem == 0x1000 && half & 1 == 1) {
        // A carry into the exponent correctly rounds up to the next binade or to infinity.
        half += 1;
    }
    sign | half
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion_matches_known_values() {
        assert_eq!(f32_to_f16_bits(0.0), 0x0000);
        assert_eq!(f32_to_f16_bits(-0.0), 0x8000);
        assert_eq!(f32_to_f16_bits(1.0), 0x3C00);
        assert_eq!(f32_to_f16_bits(-2.0), 0xC000);
        assert_eq!(f32_to_f16_bits(0.1), 0x2E66);
        assert_eq!(f32_to_f16_bits(65504.0), 0x7BFF);
        assert_eq!(f32_to_f16_bits(65520.0), 0x7C00);
        assert_eq!(f32_to_f16_bits(f32::INFINITY), 0x7C00);
        assert_eq!(f32_to_f16_bits(f32::NAN) & 0x7E00, 0x7E00);
        assert_eq!(f32_to_f16_bits(6.103_515_6e-5), 0x0400);
        assert_eq!(f32_to_f16_bits(2.0f32.powi(-24)), 0x0001);
        assert_eq!(f32_to_f16_bits(2.0f32.powi(-26)), 0x0000);
        assert_eq!(f32_to_f16_bits(3.0 * 2.0f32.powi(-25)), 0x0002); // 1.5 ulp: ties to even
        assert_eq!(f32_to_f16_bits(1.0 + 2.0f32.powi(-11)), 0x3C00); // tie, even stays
        assert_eq!(f32_to_f16_bits(1.0 + 3.0 * 2.0f32.powi(-11)), 0x3C02); // tie, odd rounds up
    }

    #[test]
    fn normal_samples_have_unit_variance() {
        let mut rng = SplitMix64(7);
        let n = 200_000;
        let samples: Vec<f32> = (0..n).map(|_| rng.next_normal()).collect();
        let mean = samples.iter().sum::<f32>() / n as f32;
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn tensor_streams_depend_on_seed_and_name() {
        let a = SplitMix64::for_tensor(1, "output.weight").next_u64();
        assert_eq!(a, SplitMix64::for_tensor(1, "output.weight").next_u64());
        assert_ne!(a, SplitMix64::for_tensor(2, "output.weight").next_u64());
        assert_ne!(a, SplitMix64::for_tensor(1, "token_embd.weight").next_u64());
    }
}
