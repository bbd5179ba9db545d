#include "x86.h"
#include "f32-act-constants.h"

#include <math.h>

#if C1D_X86
#define T512 __attribute__((target("avx512f,avx512dq,fma")))

// min/max return their second operand when either is NaN, so the constant goes first wherever a NaN input
// must reach the output (PyTorch: f(NaN) = NaN).

T512 static inline __m512 exp512(__m512 x) {
  __mmask16 overflow = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpOverflow), _CMP_GT_OQ);
  x = _mm512_min_ps(_mm512_set1_ps(kExpPolynomialMax), x);
  __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpPolynomialMin), _CMP_LT_OQ);
  __m512 fx = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), _mm512_set1_ps(0.5f)),
                                   _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(kExpC1), x);
  r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(kExpC2), r);
  __m512 y = _mm512_set1_ps(kExpP[0]);
  for (int i = 1; i < 6; i++) y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kExpP[i]));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fx), _mm512_set1_epi32(127)), 23);
  __m512 e = _mm512_maskz_mul_ps(~tiny, y, _mm512_castsi512_ps(bits));
  return _mm512_mask_blend_ps(overflow, e, _mm512_set1_ps(INFINITY));
}

// tanh's odd polynomial, its value for |x| < 0.625.
T512 static inline __m512 tanh_small512(__m512 x) {
  __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(kTanhP[0]);
  for (int i = 1; i < 5; i++) p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kTanhP[i]));
  return _mm512_fmadd_ps(_mm512_mul_ps(x, z), p, x);
}

T512 static inline __m512 tanh512(__m512 x) {
  __m512 a = _mm512_abs_ps(x);
  __m512 small = tanh_small512(x);
  // Capped so that exp never overflows into inf / inf; at 20, 2 / (e^20 + 1) is below half an ulp of 1, so
  // |x| > 10 gives exactly ±1 as the scalar version does.
  __m512 e = exp512(_mm512_min_ps(_mm512_set1_ps(20.0f), _mm512_add_ps(a, a)));
  __m512 large = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  large = _mm512_or_ps(large, _mm512_and_ps(x, _mm512_set1_ps(-0.0f)));  // sign of x
  __mmask16 is_small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, large, small);
}

T512 static inline __m512 erf512(__m512 x) {
  __m512 sign = _mm512_and_ps(x, _mm512_set1_ps(-0.0f));
  __m512 a = _mm512_abs_ps(x);
  __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(kErfP), a, _mm512_set1_ps(1.0f)));
  __m512 r = _mm512_fmadd_ps(_mm512_set1_ps(kErf5), t, _mm512_set1_ps(kErf4));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(kErf3));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(kErf2));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(kErf1));
  __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(x, x)));
  __m512 v = _mm512_fnmadd_ps(_mm512_mul_ps(r, t), e, _mm512_set1_ps(1.0f));
  return _mm512_or_ps(v, sign);
}

T512 __attribute__((always_inline)) static inline __m512 apply512(int kind, __m512 x, float p) {
  __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  switch (kind) {
  case C1D_ACT_RELU: return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ) |
                                                 _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), zero, x);
  case C1D_ACT_LEAKY_RELU:
    return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, _mm512_set1_ps(p));
  case C1D_ACT_ELU: {
    __m512 neg = _mm512_mul_ps(_mm512_set1_ps(p), _mm512_sub_ps(exp512(_mm512_min_ps(zero, x)), one));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), neg, x);
  }
  case C1D_ACT_GELU_ERF: {
    __m512 e = erf512(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752440f)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, e));
  }
  case C1D_ACT_GELU_TANH: {
    __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
    __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286535588f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, tanh512(inner)));
  }
  case C1D_ACT_SILU: return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_sub_ps(zero, x))));
  case C1D_ACT_SIGMOID: return _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(zero, x))));
  case C1D_ACT_TANH: return tanh512(x);
  default: return x;
  }
}

T512 __attribute__((always_inline)) static inline void vact_loop(int kind, float *data, long count, float p) {
  long i = 0;
  for (; i + 16 <= count; i += 16) _mm512_storeu_ps(data + i, apply512(kind, _mm512_loadu_ps(data + i), p));
  if (i < count) {
    __mmask16 m = tail_mask512(count - i);
    _mm512_mask_storeu_ps(data + i, m, apply512(kind, _mm512_maskz_loadu_ps(m, data + i), p));
  }
}

T512 __attribute__((always_inline)) static inline void vgate_loop(int value_kind, float value_parameter,
                                                                  const float *value, int gate_kind,
                                                                  float gate_parameter, const float *gate, float *y,
                                                                  long count) {
  long i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 v = apply512(value_kind, _mm512_loadu_ps(value + i), value_parameter);
    _mm512_storeu_ps(y + i, _mm512_mul_ps(v, apply512(gate_kind, _mm512_loadu_ps(gate + i), gate_parameter)));
  }
  if (i < count) {
    __mmask16 m = tail_mask512(count - i);
    __m512 v = apply512(value_kind, _mm512_maskz_loadu_ps(m, value + i), value_parameter);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, apply512(gate_kind, _mm512_maskz_loadu_ps(m, gate + i), gate_parameter)));
  }
}

// tanh(v) · sigmoid(g) with one division instead of two, as the AVX2 set computes it (see tanh_sigmoid256):
// tanh's large branch (1 − a)/(1 + a), a = e^(−2|v|), and sigmoid's 1/(1 + b), b = e^(−g), share a
// denominator; the small branch is divided by 1 + b alone.
T512 static inline __m512 tanh_sigmoid512(__m512 v, __m512 g) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 a = exp512(_mm512_mul_ps(_mm512_set1_ps(-2.0f), _mm512_abs_ps(v)));
  __m512 small = tanh_small512(v);
  __m512 large = _mm512_or_ps(_mm512_sub_ps(one, a), _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
  __m512 sigmoid_denominator = _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g)));
  __mmask16 is_small = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  __m512 numerator = _mm512_mask_blend_ps(is_small, large, small);
  __m512 denominator =
      _mm512_mask_blend_ps(is_small, _mm512_mul_ps(_mm512_add_ps(one, a), sigmoid_denominator), sigmoid_denominator);
  return _mm512_div_ps(numerator, denominator);
}

T512 static void vgate_tanh_sigmoid(const float *value, const float *gate, float *y, long count) {
  long i = 0;
  for (; i + 16 <= count; i += 16)
    _mm512_storeu_ps(y + i, tanh_sigmoid512(_mm512_loadu_ps(value + i), _mm512_loadu_ps(gate + i)));
  if (i < count) {
    __mmask16 m = tail_mask512(count - i);
    _mm512_mask_storeu_ps(y + i, m, tanh_sigmoid512(_mm512_maskz_loadu_ps(m, value + i), _mm512_maskz_loadu_ps(m, gate + i)));
  }
}

// The activation is chosen once per call, not once per vector, as in the AVX2 set: each case is a loop of
// its own, compiled for a constant kind (GELU 0.59 -> 0.51 ns an element, ReLU 0.165 -> 0.051, in L2).
T512 void c1d_f32_vact__avx512f(int kind, float *data, long count, float p) {
  switch (kind) {
  case C1D_ACT_RELU: vact_loop(C1D_ACT_RELU, data, count, p); break;
  case C1D_ACT_GELU_ERF: vact_loop(C1D_ACT_GELU_ERF, data, count, p); break;
  case C1D_ACT_SIGMOID: vact_loop(C1D_ACT_SIGMOID, data, count, p); break;
  case C1D_ACT_TANH: vact_loop(C1D_ACT_TANH, data, count, p); break;
  default: vact_loop(kind, data, count, p); break;
  }
}

// WaveNet's tanh · sigmoid and GLU's identity · sigmoid get loops of their own; other pairs the general one.
T512 void c1d_f32_vgate__avx512f(int value_kind, float value_parameter, const float *value, int gate_kind,
                                 float gate_parameter, const float *gate, float *y, long count) {
  if (value_kind == C1D_ACT_TANH && gate_kind == C1D_ACT_SIGMOID)
    vgate_tanh_sigmoid(value, gate, y, count);
  else if (value_kind == C1D_ACT_IDENTITY && gate_kind == C1D_ACT_SIGMOID)
    vgate_loop(C1D_ACT_IDENTITY, value_parameter, value, C1D_ACT_SIGMOID, gate_parameter, gate, y, count);
  else
    vgate_loop(value_kind, value_parameter, value, gate_kind, gate_parameter, gate, y, count);
}
#endif
