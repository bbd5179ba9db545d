#include "x86.h"
#include "f32-act-constants.h"

#include <math.h>

#if C1D_X86
#define T256 __attribute__((target("avx2,fma")))

// The AVX-512 file's formulas in 8 lanes. min/max return their second operand when either is NaN, so the
// constant goes first wherever a NaN input must reach the output (PyTorch: f(NaN) = NaN).

T256 static inline __m256 abs256(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

// e^z for z in [-87.34, 88.38] (callers clamp or mask outside): Cephes' reduction and polynomial, with
// z·log2(e) rounded to an integer n by a magic bias whose low mantissa bits then hold n + 127, 2^n's
// exponent field. Three instructions fewer than floor, convert and add; on Zen 1 the tanh · sigmoid gate
// took 3.6 ns an element instead of 4.1, with bit-identical results over 4M pairs and the special values.
T256 static inline __m256 exp_clamped256(__m256 z) {
  const __m256 magic = _mm256_set1_ps(12583039.0f); // 0x1.8p23 + 127
  __m256 biased = _mm256_fmadd_ps(z, _mm256_set1_ps(kLog2e), magic);
  __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(biased), 23));
  __m256 n = _mm256_sub_ps(biased, magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kExpC1), z);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kExpC2), r);
  __m256 y = _mm256_set1_ps(kExpP[0]);
  for (int i = 1; i < 6; i++) y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(kExpP[i]));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  return _mm256_mul_ps(y, scale);
}

// e^z for z ≤ 0 where the caller only needs it to vanish against 1 far below: z is clamped at -86.5 rather
// than the result masked, so e^z is ~2e-38 instead of 0 there. From -86.5 up, 2^n is at least 2^-125 and e^z
// a normal float; clamped at kExpPolynomialMin instead, e^z came out subnormal, and each product with it cost
// a microcode assist (on Zen 1, GELU over inputs a third of which lay beyond ±13 took 6.1 ns an element
// instead of 2.3).
T256 static inline __m256 exp_nonpositive256(__m256 z) {
  return exp_clamped256(_mm256_max_ps(_mm256_set1_ps(-86.5f), z));
}

T256 static inline __m256 exp256(__m256 x) {
  __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(kExpOverflow), _CMP_GT_OQ);
  x = _mm256_min_ps(_mm256_set1_ps(kExpPolynomialMax), x);
  // Below the range the scale's exponent would wrap: flush to 0 as the scalar version does.
  __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(kExpPolynomialMin), _CMP_LT_OQ);
  __m256 e = _mm256_andnot_ps(tiny, exp_clamped256(x));
  return _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), overflow);
}

// tanh's odd polynomial, its value for |x| < 0.625.
T256 static inline __m256 tanh_small256(__m256 x) {
  __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(kTanhP[0]);
  for (int i = 1; i < 5; i++) p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kTanhP[i]));
  return _mm256_fmadd_ps(_mm256_mul_ps(x, z), p, x);
}

T256 static inline __m256 tanh256(__m256 x) {
  __m256 a = abs256(x);
  __m256 small = tanh_small256(x);
  // Capped so that exp never overflows into inf / inf. At 20, not the AVX-512 file's 18: 2 / (e^20 + 1) is
  // below half an ulp of 1, so that |x| > 10 gives exactly ±1 as the scalar version does, where e^18 left
  // 1 − 2^-24 and gelu_tanh(−100) = −3e-6 instead of −0.
  // 2|x| ≤ 20 is inside the polynomial's range: neither end needs handling.
  __m256 e = exp_clamped256(_mm256_min_ps(_mm256_set1_ps(20.0f), _mm256_add_ps(a, a)));
  __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  large = _mm256_or_ps(large, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
  __m256 is_small = _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm256_blendv_ps(large, small, is_small);
}

T256 static inline __m256 erf256(__m256 x) {
  __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  __m256 a = abs256(x);
  __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(kErfP), a, _mm256_set1_ps(1.0f)));
  __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(kErf5), t, _mm256_set1_ps(kErf4));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErf3));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErf2));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErf1));
  // Where e^(−x²) vanishes, 1 − r·t·e is 1 whether e is 0 or ~2e-38.
  __m256 e = exp_nonpositive256(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(x, x)));
  __m256 v = _mm256_fnmadd_ps(_mm256_mul_ps(r, t), e, _mm256_set1_ps(1.0f));
  return _mm256_or_ps(v, sign);
}

__attribute__((target("avx2,fma"), always_inline)) static inline __m256 apply256(int kind, __m256 x, float p) {
  __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  switch (kind) {
  case C1D_ACT_RELU: {
    // Not max(0, x): that would turn −0 into −0 where PyTorch gives +0.
    __m256 keep = _mm256_or_ps(_mm256_cmp_ps(x, zero, _CMP_GT_OQ), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return _mm256_and_ps(x, keep);
  }
  case C1D_ACT_LEAKY_RELU:
    return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(p)), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  case C1D_ACT_ELU: {
    // Where e^x vanishes, e^x − 1 is −1 whether e^x is 0 or ~2e-38.
    __m256 neg = _mm256_mul_ps(_mm256_set1_ps(p), _mm256_sub_ps(exp_nonpositive256(_mm256_min_ps(zero, x)), one));
    return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
  }
  case C1D_ACT_GELU_ERF: {
    __m256 e = erf256(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752440f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, e));
  }
  case C1D_ACT_GELU_TANH: {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 inner = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286535588f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, tanh256(inner)));
  }
  case C1D_ACT_SILU: return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_sub_ps(zero, x))));
  case C1D_ACT_SIGMOID: return _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(zero, x))));
  case C1D_ACT_TANH: return tanh256(x);
  default: return x;
  }
}

__attribute__((target("avx2,fma"), always_inline)) static inline void vact_loop(int kind, float *data, long count,
                                                                               float p) {
  long i = 0;
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(data + i, apply256(kind, _mm256_loadu_ps(data + i), p));
  if (i < count) {
    __m256i m = tail_mask256(count - i);
    _mm256_maskstore_ps(data + i, m, apply256(kind, _mm256_maskload_ps(data + i, m), p));
  }
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
vgate_loop(int value_kind, float value_parameter, const float *value, int gate_kind, float gate_parameter,
           const float *gate, float *y, long count) {
  long i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 v = apply256(value_kind, _mm256_loadu_ps(value + i), value_parameter);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(v, apply256(gate_kind, _mm256_loadu_ps(gate + i), gate_parameter)));
  }
  if (i < count) {
    __m256i m = tail_mask256(count - i);
    __m256 v = apply256(value_kind, _mm256_maskload_ps(value + i, m), value_parameter);
    _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(v, apply256(gate_kind, _mm256_maskload_ps(gate + i, m), gate_parameter)));
  }
}

// tanh(v) · sigmoid(g) with one division instead of two: tanh's large branch (1 − a)/(1 + a), a = e^(−2|v|)
// (tanh256's 1 − 2/(e^2|v| + 1) over e^2|v|), and sigmoid's 1/(1 + b), b = e^(−g), share a denominator; its
// small branch (the odd polynomial below 0.625) is divided by 1 + b alone. a ≤ 1 never overflows; b does
// for g < −88.72, and the product is then ±0 as PyTorch's tanh · 0. WaveNet's gate was 17% of its run.
T256 static inline __m256 tanh_sigmoid256(__m256 v, __m256 g) {
  const __m256 one = _mm256_set1_ps(1.0f), lowest = _mm256_set1_ps(kExpPolynomialMin);
  __m256 abs_v = abs256(v);
  // Clamped rather than masked: below the range a is ~1e-38 instead of 0, and 1 − a, 1 + a round alike.
  __m256 a = exp_clamped256(_mm256_max_ps(lowest, _mm256_mul_ps(_mm256_set1_ps(-2.0f), abs_v)));
  __m256 small = tanh_small256(v);
  __m256 large = _mm256_or_ps(_mm256_sub_ps(one, a), _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));
  __m256 minus_g = _mm256_sub_ps(_mm256_setzero_ps(), g);
  __m256 b = exp_clamped256(_mm256_min_ps(_mm256_set1_ps(kExpPolynomialMax), _mm256_max_ps(lowest, minus_g)));
  b = _mm256_blendv_ps(b, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(minus_g, _mm256_set1_ps(kExpOverflow), _CMP_GT_OQ));
  __m256 sigmoid_denominator = _mm256_add_ps(one, b);
  __m256 is_small = _mm256_cmp_ps(abs_v, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  __m256 numerator = _mm256_blendv_ps(large, small, is_small);
  __m256 denominator =
      _mm256_blendv_ps(_mm256_mul_ps(_mm256_add_ps(one, a), sigmoid_denominator), sigmoid_denominator, is_small);
  return _mm256_div_ps(numerator, denominator);
}

T256 static void vgate_tanh_sigmoid(const float *value, const float *gate, float *y, long count) {
  long i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(y + i, tanh_sigmoid256(_mm256_loadu_ps(value + i), _mm256_loadu_ps(gate + i)));
  if (i < count) {
    __m256i m = tail_mask256(count - i);
    _mm256_maskstore_ps(y + i, m, tanh_sigmoid256(_mm256_maskload_ps(value + i, m), _mm256_maskload_ps(gate + i, m)));
  }
}

// The activation is chosen once per call, not once per vector: each case is a loop of its own, compiled for
// a constant kind (profiled on WaveNet: the per-vector switch and call were 20% of the run).
T256 void c1d_f32_vact__avx2(int kind, float *data, long count, float p) {
  switch (kind) {
  case C1D_ACT_RELU: vact_loop(C1D_ACT_RELU, data, count, p); break;
  case C1D_ACT_GELU_ERF: vact_loop(C1D_ACT_GELU_ERF, data, count, p); break;
  case C1D_ACT_SIGMOID: vact_loop(C1D_ACT_SIGMOID, data, count, p); break;
  case C1D_ACT_TANH: vact_loop(C1D_ACT_TANH, data, count, p); break;
  default: vact_loop(kind, data, count, p); break;
  }
}

// WaveNet's tanh · sigmoid and GLU's identity · sigmoid get loops of their own; other pairs the general one.
T256 void c1d_f32_vgate__avx2(int value_kind, float value_parameter, const float *value, int gate_kind,
                              float gate_parameter, const float *gate, float *y, long count) {
  if (value_kind == C1D_ACT_TANH && gate_kind == C1D_ACT_SIGMOID)
    vgate_tanh_sigmoid(value, gate, y, count);
  else if (value_kind == C1D_ACT_IDENTITY && gate_kind == C1D_ACT_SIGMOID)
    vgate_loop(C1D_ACT_IDENTITY, value_parameter, value, C1D_ACT_SIGMOID, gate_parameter, gate, y, count);
  else
    vgate_loop(value_kind, value_parameter, value, gate_kind, gate_parameter, gate, y, count);
}
#endif
