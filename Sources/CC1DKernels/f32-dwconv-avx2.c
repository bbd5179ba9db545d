#include "f32-dwconv-generic.h"
#include "x86.h"

#if C1D_X86
C1D_DWCONV_INTERIOR_GENERIC(c1d_f32_dwconv_interior__avx2, __attribute__((target("avx2,fma"))))

void c1d_f32_dwconv__avx2(const float *x, long length, long left, int mode, float value, const float *w,
                          long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx2, x, length, left, mode, value, w, kernel_size, dilation,
                          stride, bias, y, count);
}
#endif
