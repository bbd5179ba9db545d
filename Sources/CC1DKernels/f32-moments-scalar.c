#include "internal.h"

void c1d_f32_moments__scalar(const float *x, long n, double *mean, double *variance) {
  double sum = 0, squares = 0;
  for (long i = 0; i < n; i++) sum += x[i];
  *mean = sum / (double)n;
  for (long i = 0; i < n; i++) {
    double d = x[i] - *mean;
    squares += d * d;
  }
  *variance = squares / (double)n;
}
