// Tensor decoding at load: unshuffle and dtype conversion, with F16C for half precision where the CPU
// has it (x86-64), and a portable path elsewhere.
#include "c1d_decode.h"
#include "internal.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define C1D_DECODE_X86 1
#endif

// Elements [done, count) of a chunk, and every element of a size other than 2 or 4: one plane at a time.
static void unshuffle_scalar(const uint8_t *planes, long plane_length, int size, long first, long done, long count,
                             uint8_t *out) {
  for (int j = 0; j < size; j++) {
    const uint8_t *plane = planes + (long)j * plane_length + first;
    for (long i = done; i < count; i++) out[i * size + j] = plane[i];
  }
}

#ifdef C1D_DECODE_X86
// The dtypes' sizes interleave their planes 16 elements at a time with byte and word unpacks (SSE2, which
// every x86-64 CPU has); returns how many elements were done.
static long unshuffle_sse2(const uint8_t *planes, long plane_length, int size, long first, long count, uint8_t *out) {
  const uint8_t *p0 = planes + first, *p1 = p0 + plane_length, *p2 = p1 + plane_length, *p3 = p2 + plane_length;
  long i = 0;
  if (size == 2) {
    for (; i + 16 <= count; i += 16) {
      const __m128i a = _mm_loadu_si128((const __m128i *)(p0 + i)), b = _mm_loadu_si128((const __m128i *)(p1 + i));
      _mm_storeu_si128((__m128i *)(out + 2 * i), _mm_unpacklo_epi8(a, b));
      _mm_storeu_si128((__m128i *)(out + 2 * i + 16), _mm_unpackhi_epi8(a, b));
    }
  } else if (size == 4) {
    for (; i + 16 <= count; i += 16) {
      const __m128i a = _mm_loadu_si128((const __m128i *)(p0 + i)), b = _mm_loadu_si128((const __m128i *)(p1 + i));
      const __m128i c = _mm_loadu_si128((const __m128i *)(p2 + i)), d = _mm_loadu_si128((const __m128i *)(p3 + i));
      const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
      const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
      _mm_storeu_si128((__m128i *)(out + 4 * i), _mm_unpacklo_epi16(ab0, cd0));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 16), _mm_unpackhi_epi16(ab0, cd0));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 32), _mm_unpacklo_epi16(ab1, cd1));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 48), _mm_unpackhi_epi16(ab1, cd1));
    }
  }
  return i;
}
#endif

void c1d_unshuffle_chunk(const uint8_t *planes, long plane_length, int size, long first, long count, uint8_t *out) {
  long done = 0;
#ifdef C1D_DECODE_X86
  done = unshuffle_sse2(planes, plane_length, size, first, count, out);
#endif
  unshuffle_scalar(planes, plane_length, size, first, done, count, out);
}

static float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float32 exponent.
    exponent = 113;
    while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#ifdef C1D_DECODE_X86
__attribute__((target("avx,f16c"))) static long decode_f16_f16c(const uint8_t *raw, long count, float *out) {
  long i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i h = _mm_loadu_si128((const __m128i *)(raw + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  return i;
}

#endif

void c1d_decode_chunk(int dtype, const uint8_t *raw, long count, float *out) {
  long i = 0;
  switch (dtype) {
  case 0:
    // Little-endian hosts only (x86-64, arm64): the bytes are the floats.
    memcpy(out, raw, (size_t)count * 4);
    return;
  case 1:
#ifdef C1D_DECODE_X86
    if (c1d_x86_has_f16c()) i = decode_f16_f16c(raw, count, out);
#endif
    for (; i < count; i++) out[i] = half_to_float((uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8));
    return;
  case 2:
    for (; i < count; i++) {
      const uint32_t bits = (uint32_t)raw[2 * i] << 16 | (uint32_t)raw[2 * i + 1] << 24;
      memcpy(out + i, &bits, 4);
    }
    return;
  default:
    return;
  }
}
