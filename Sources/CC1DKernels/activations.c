#include "c1d_kernels.h"
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// The formulas follow PyTorch's vectorised CPU kernels so that results agree closely: exp is
// Cephes' expf (about 1 ulp), erf is Abramowitz & Stegun 7.1.26 as in ATen's Vectorized<float>::erf,
// tanh is Cephes' tanhf (odd polynomial below 0.625, exp-based above).

static const float kLog2e = 1.44269504088896341f, kExpC1 = 0.693359375f, kExpC2 = -2.12194440e-4f;
static const float kExpP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
static const float kTanhP[5] = {-5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f,
                                1.33314422036e-1f, -3.33332819422e-1f};
static const float kErfP = 0.3275911f, kErf1 = 0.254829592f, kErf2 = -0.284496736f, kErf3 = 1.421413741f,
                   kErf4 = -1.453152027f, kErf5 = 1.061405429f;

// ---- scalar (portable) -------------------------------------------------------------------------

static inline float exp_scalar(float x) {
  if (x > 88.3762626647949f) x = 88.3762626647949f;
  if (x < -87.3365478515625f) return 0.0f;
  float fx = floorf(x * kLog2e + 0.5f);
  float r = x - fx * kExpC1 - fx * kExpC2;
  float y = kExpP[0];
  for (int i = 1; i < 6; i++) y = y * r + kExpP[i];
  y = y * r * r + r + 1.0f;
  int32_t bits = ((int32_t)fx + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

static inline float tanh_scalar(float x) {
  float a = fabsf(x);
  if (a < 0.625f) {
    float z = x * x;
    float p = kTanhP[0];
    for (int i = 1; i < 5; i++) p = p * z + kTanhP[i];
    return x + x * z * p;
  }
  if (a > 9.0f) return x > 0 ? 1.0f : -1.0f;
  float t = 1.0f - 2.0f / (exp_scalar(2.0f * a) + 1.0f);
  return x > 0 ? t : -t;
}

static inline float erf_scalar(float x) {
  float a = fabsf(x);
  float t = 1.0f / (kErfP * a + 1.0f);
  float r = (((kErf5 * t + kErf4) * t + kErf3) * t + kErf2) * t + kErf1;
  float e = 1.0f - r * t * exp_scalar(-x * x);
  return x < 0 ? -e : e;
}

static float apply_scalar(int kind, float x, float p) {
  switch (kind) {
  case C1D_ACT_RELU: return x > 0 ? x : (x != x ? x : 0.0f);
  case C1D_ACT_LEAKY_RELU: return x < 0 ? x * p : x;
  case C1D_ACT_ELU: return x > 0 ? x : p * (exp_scalar(x) - 1.0f);
  case C1D_ACT_GELU_ERF: return 0.5f * x * (1.0f + erf_scalar(x * 0.70710678118654752440f));
  case C1D_ACT_GELU_TANH: {
    float inner = 0.79788456080286535588f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanh_scalar(inner));
  }
  case C1D_ACT_SILU: return x / (1.0f + exp_scalar(-x));
  case C1D_ACT_SIGMOID: return 1.0f / (1.0f + exp_scalar(-x));
  case C1D_ACT_TANH: return tanh_scalar(x);
  default: return x;
  }
}

// ---- AVX-512 -------------------------------------------------------------------------------------

#if C1D_X86
#define T512 __attribute__((target("avx512f,avx512dq,fma")))

T512 static inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f));
  __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3365478515625f), _CMP_LT_OQ);
  __m512 fx = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), _mm512_set1_ps(0.5f)),
                                   _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(kExpC1), x);
  r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(kExpC2), r);
  __m512 y = _mm512_set1_ps(kExpP[0]);
  for (int i = 1; i < 6; i++) y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(kExpP[i]));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fx), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(~tiny, y, _mm512_castsi512_ps(bits));
}

T512 static inline __m512 tanh512(__m512 x) {
  __m512 a = _mm512_abs_ps(x);
  __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(kTanhP[0]);
  for (int i = 1; i < 5; i++) p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kTanhP[i]));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, z), p, x);
  __m512 e = exp512(_mm512_min_ps(_mm512_add_ps(a, a), _mm512_set1_ps(18.0f)));
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

T512 static inline __m512 apply512(int kind, __m512 x, float p) {
  __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  switch (kind) {
  case C1D_ACT_RELU: return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ) |
                                                 _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), zero, x);
  case C1D_ACT_LEAKY_RELU:
    return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, _mm512_set1_ps(p));
  case C1D_ACT_ELU: {
    __m512 neg = _mm512_mul_ps(_mm512_set1_ps(p), _mm512_sub_ps(exp512(_mm512_min_ps(x, zero)), one));
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

T512 static void activation_avx512(int kind, float *data, long count, float p) {
  long i = 0;
  for (; i + 16 <= count; i += 16) _mm512_storeu_ps(data + i, apply512(kind, _mm512_loadu_ps(data + i), p));
  if (i < count) {
    __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
    _mm512_mask_storeu_ps(data + i, m, apply512(kind, _mm512_maskz_loadu_ps(m, data + i), p));
  }
}
#endif

void c1d_activation(c1d_isa isa, int kind, float *data, long count, float parameter) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    activation_avx512(kind, data, count, parameter);
    return;
  }
#endif
  for (long i = 0; i < count; i++) data[i] = apply_scalar(kind, data[i], parameter);
}

#if C1D_X86
T512 static void gate_avx512(int value_kind, float value_parameter, const float *value, int gate_kind,
                             float gate_parameter, const float *gate, float *y, long count) {
  long i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 v = apply512(value_kind, _mm512_loadu_ps(value + i), value_parameter);
    _mm512_storeu_ps(y + i, _mm512_mul_ps(v, apply512(gate_kind, _mm512_loadu_ps(gate + i), gate_parameter)));
  }
  if (i < count) {
    __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
    __m512 v = apply512(value_kind, _mm512_maskz_loadu_ps(m, value + i), value_parameter);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, apply512(gate_kind, _mm512_maskz_loadu_ps(m, gate + i), gate_parameter)));
  }
}
#endif

void c1d_gate(c1d_isa isa, int value_kind, float value_parameter, const float *value, int gate_kind,
              float gate_parameter, const float *gate, float *y, long count) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    gate_avx512(value_kind, value_parameter, value, gate_kind, gate_parameter, gate, y, count);
    return;
  }
#endif
  for (long i = 0; i < count; i++)
    y[i] = apply_scalar(value_kind, value[i], value_parameter) * apply_scalar(gate_kind, gate[i], gate_parameter);
}

#if C1D_X86
T512 static void binary_avx512(int product, float *y, const float *other, long count) {
  long i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 a = _mm512_loadu_ps(y + i), b = _mm512_loadu_ps(other + i);
    _mm512_storeu_ps(y + i, product ? _mm512_mul_ps(a, b) : _mm512_add_ps(a, b));
  }
  if (i < count) {
    __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
    __m512 a = _mm512_maskz_loadu_ps(m, y + i), b = _mm512_maskz_loadu_ps(m, other + i);
    _mm512_mask_storeu_ps(y + i, m, product ? _mm512_mul_ps(a, b) : _mm512_add_ps(a, b));
  }
}
#endif

void c1d_binary(c1d_isa isa, int product, float *y, const float *other, long count) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    binary_avx512(product, y, other, count);
    return;
  }
#endif
  if (product)
    for (long i = 0; i < count; i++) y[i] *= other[i];
  else
    for (long i = 0; i < count; i++) y[i] += other[i];
}

// ---- reductions for normalisation -------------------------------------------------------------

#if C1D_X86
// Sum of (x - center), or of its square, in blocks of float lanes added up in double.
T512 static double pass_avx512(const float *x, long n, float center, int square) {
  double total = 0;
  __m512 c = _mm512_set1_ps(center);
  for (long start = 0; start < n; start += 4096) {
    long end = start + 4096 < n ? start + 4096 : n;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    long i = start;
    for (; i + 32 <= end; i += 32) {
      __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), c), d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), c);
      a0 = square ? _mm512_fmadd_ps(d0, d0, a0) : _mm512_add_ps(a0, d0);
      a1 = square ? _mm512_fmadd_ps(d1, d1, a1) : _mm512_add_ps(a1, d1);
    }
    float rest = 0;
    for (; i < end; i++) rest += square ? (x[i] - center) * (x[i] - center) : x[i] - center;
    total += (double)_mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) + rest;
  }
  return total;
}
#endif

void c1d_moments(c1d_isa isa, const float *x, long n, double *mean, double *variance) {
  double sum = 0, squares = 0;
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    sum = pass_avx512(x, n, 0.0f, 0);
    *mean = sum / (double)n;
    squares = pass_avx512(x, n, (float)*mean, 1);
    *variance = squares / (double)n;
    return;
  }
#endif
  for (long i = 0; i < n; i++) sum += x[i];
  *mean = sum / (double)n;
  for (long i = 0; i < n; i++) {
    double d = x[i] - *mean;
    squares += d * d;
  }
  *variance = squares / (double)n;
}
