// Element-wise kernels of the format 1.1 ops: broadcasting binary ops, unary math, Snake.
#include "c1d_elementwise.h"

#include <math.h>

// NaN-propagating max and min, as torch.maximum and torch.minimum (fmaxf would drop a NaN).
static inline float maximum(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float minimum(float a, float b) { return (a != a || a < b) ? a : b; }

#define BINARY_LOOP(expr)                                              \
  for (long i = 0; i < count; i++) {                                   \
    const float x = a[i * a_stride], z = b[i * b_stride];              \
    y[i] = (expr);                                                     \
  }

void c1d_binary_row(int op, const float *a, long a_stride, const float *b, long b_stride, float *y, long count) {
  switch (op) {
  case C1D_BINARY_ADD: BINARY_LOOP(x + z) break;
  case C1D_BINARY_SUB: BINARY_LOOP(x - z) break;
  case C1D_BINARY_MUL: BINARY_LOOP(x * z) break;
  case C1D_BINARY_DIV: BINARY_LOOP(x / z) break;
  case C1D_BINARY_POW: BINARY_LOOP(powf(x, z)) break;
  case C1D_BINARY_MAXIMUM: BINARY_LOOP(maximum(x, z)) break;
  case C1D_BINARY_MINIMUM: BINARY_LOOP(minimum(x, z)) break;
  default: break;
  }
}

// PyTorch's softplus: linear above the threshold, where exp would overflow to no purpose.
static inline float softplus(float x, float beta, float threshold) {
  return x * beta > threshold ? x : log1pf(expf(x * beta)) / beta;
}

static inline float relu6(float x) { return x < 0 ? 0 : (x > 6 ? 6 : x); }

// Comparisons are false for NaN, so a NaN passes through unchanged, as torch.clamp keeps it.
static inline float clamp(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

#define UNARY_LOOP(expr)                                               \
  for (long i = 0; i < count; i++) {                                   \
    const float v = x[i];                                              \
    x[i] = (expr);                                                     \
  }

void c1d_unary(int op, float *x, long count, float p0, float p1) {
  switch (op) {
  case C1D_UNARY_ABS: UNARY_LOOP(fabsf(v)) break;
  case C1D_UNARY_NEG: UNARY_LOOP(-v) break;
  case C1D_UNARY_EXP: UNARY_LOOP(expf(v)) break;
  case C1D_UNARY_LOG: UNARY_LOOP(logf(v)) break;
  case C1D_UNARY_SQRT: UNARY_LOOP(sqrtf(v)) break;
  case C1D_UNARY_RSQRT: UNARY_LOOP(1.0f / sqrtf(v)) break;
  case C1D_UNARY_SQUARE: UNARY_LOOP(v * v) break;
  case C1D_UNARY_RECIPROCAL: UNARY_LOOP(1.0f / v) break;
  case C1D_UNARY_SIN: UNARY_LOOP(sinf(v)) break;
  case C1D_UNARY_COS: UNARY_LOOP(cosf(v)) break;
  case C1D_UNARY_MISH: UNARY_LOOP(v * tanhf(softplus(v, 1.0f, 20.0f))) break;
  case C1D_UNARY_HARDSWISH: UNARY_LOOP(v * relu6(v + 3.0f) / 6.0f) break;
  case C1D_UNARY_HARDSIGMOID: UNARY_LOOP(relu6(v + 3.0f) / 6.0f) break;
  case C1D_UNARY_SOFTPLUS: UNARY_LOOP(softplus(v, p0, p1)) break;
  case C1D_UNARY_CLAMP: UNARY_LOOP(clamp(v, p0, p1)) break;
  default: break;
  }
}

void c1d_snake_row(float *x, long count, float alpha, float scale) {
  for (long i = 0; i < count; i++) {
    const float s = sinf(alpha * x[i]);
    x[i] += scale * s * s;
  }
}

void c1d_softmax_row(float *row, long stride, long count, int is_log) {
  // Subtracting the maximum keeps exp from overflowing; the sum runs in double.
  float peak = -INFINITY;
  for (long i = 0; i < count; i++) peak = row[i * stride] > peak ? row[i * stride] : peak;
  double sum = 0;
  for (long i = 0; i < count; i++) sum += expf(row[i * stride] - peak);
  if (is_log) {
    const float shift = peak + (float)log(sum);
    for (long i = 0; i < count; i++) row[i * stride] -= shift;
  } else {
    const float scale = (float)(1.0 / sum);
    for (long i = 0; i < count; i++) row[i * stride] = expf(row[i * stride] - peak) * scale;
  }
}

void c1d_sigmoid_gate(const float *a, const float *b, long stride, float *y, long count) {
  for (long i = 0; i < count; i++) y[i] = a[i * stride] / (1.0f + expf(-b[i * stride]));
}
