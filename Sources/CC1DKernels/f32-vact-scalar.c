#include "internal.h"
#include "f32-act-constants.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float exp_scalar(float x) {
  if (x > kExpOverflow) return INFINITY;
  if (x > kExpPolynomialMax) x = kExpPolynomialMax;
  if (x < kExpPolynomialMin) return 0.0f;
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

void c1d_f32_vact__scalar(int kind, float *data, long count, float parameter) {
  for (long i = 0; i < count; i++) data[i] = apply_scalar(kind, data[i], parameter);
}

void c1d_f32_vgate__scalar(int value_kind, float value_parameter, const float *value, int gate_kind,
                           float gate_parameter, const float *gate, float *y, long count) {
  for (long i = 0; i < count; i++)
    y[i] = apply_scalar(value_kind, value[i], value_parameter) * apply_scalar(gate_kind, gate[i], gate_parameter);
}
