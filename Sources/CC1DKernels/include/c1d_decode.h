#ifndef C1D_DECODE_H
#define C1D_DECODE_H

#include <stddef.h>
#include <stdint.h>

// Tensor decoding at load: gathering shuffled byte planes and converting f16/bf16/f32 to float32,
// one cache-sized chunk at a time so that the checksum and the conversion read the bytes while hot.

/// Gathers elements [first, first + count) of a byte-shuffled buffer (byte j of element i at
/// planes[j * plane_length + i]) into `out` in element order (size bytes each).
void c1d_unshuffle_chunk(const uint8_t *planes, long plane_length, int size, long first, long count, uint8_t *out);

/// Converts `count` little-endian elements of `dtype` (0: f32, 1: f16, 2: bf16) at `raw` to float32.
void c1d_decode_chunk(int dtype, const uint8_t *raw, long count, float *out);

/// Whether `c1d_crc32_blocks` folds on this CPU (AVX-512 with VPCLMULQDQ).
int c1d_crc32_blocks_available(void);

/// gzip's CRC-32 (zlib's `crc32`, libdeflate's `libdeflate_crc32`: `crc` the value so far, 0 to start) of
/// `blocks` 64-byte blocks at `p`, at least four, where `c1d_crc32_blocks_available`; elsewhere `crc`
/// unchanged.
uint32_t c1d_crc32_blocks(uint32_t crc, const uint8_t *p, size_t blocks);

/// Scratch for `c1d_inflate_literals` (its decode tables), of `c1d_inflate_scratch_size()` bytes.
struct c1d_inflate_scratch;
long c1d_inflate_scratch_size(void);

/// Inflates the zlib stream `in` into exactly `out_length` bytes at `out` when its blocks are stored or hold
/// literals only (as writers make a float's byte planes), up to three literals per table lookup. Returns 1 when the
/// stream decoded to exactly `out_length` bytes and its deflate data ends four bytes before `in`'s end (the
/// Adler-32 there is left to the caller to check); 0 when it declines: a match, a code zlib would refuse, a
/// stream that ends early or late. `out` then holds anything, and the caller inflates the stream with a
/// general decoder, which names what is wrong.
int c1d_inflate_literals(const uint8_t *in, long in_length, uint8_t *out, long out_length,
                         struct c1d_inflate_scratch *scratch);

/// The most streams `c1d_inflate_literals_group` decodes at once.
#define C1D_INFLATE_GROUP_MAX 4

/// `c1d_inflate_literals` of `count` (at most C1D_INFLATE_GROUP_MAX) independent streams at once, their
/// table lookups interleaved: each waits for the one before it in its own stream, so four streams keep four
/// times as many in flight on one core. `done[i]` is what `c1d_inflate_literals` would return for stream i;
/// each needs its own scratch.
void c1d_inflate_literals_group(int count, const uint8_t *const in[], const long in_length[], uint8_t *const out[],
                                const long out_length[], struct c1d_inflate_scratch *const scratch[], int done[]);

/// Inflates the zlib stream `in` into exactly `out_length` bytes when it is made, in order, of `count` pieces
/// of `sizes[i]` raw bytes as the reference writers cut them: each piece either stored blocks, or Huffman
/// blocks of literals ended by a sync flush (an empty stored block, `00 00 FF FF`), none final; then an empty
/// final stored block and the Adler-32 (left to the caller). Stored pieces are copied, and the others decoded
/// four at a time, their table lookups interleaved. Every piece must consume exactly its bytes and produce
/// exactly its size, which is what inflating the stream in order would do. Returns 1 then, 0 when it declines
/// (another layout, a match, anything wrong); `out` then holds anything, and the caller inflates the stream in
/// order. `scratch` holds C1D_INFLATE_GROUP_MAX scratch areas.
int c1d_inflate_pieces(const uint8_t *in, long in_length, uint8_t *out, long out_length, const long *sizes, long count,
                       struct c1d_inflate_scratch *const scratch[]);

/// `c1d_inflate_pieces` of `count` (at most C1D_INFLATE_GROUP_MAX) streams, their pieces handed in order to
/// the same four lanes (so that a short stream's pieces fill in beside a long one's). `done[i]` is what
/// `c1d_inflate_pieces` would return for stream i.
void c1d_inflate_pieces_group(int count, const uint8_t *const in[], const long in_length[], uint8_t *const out[],
                              const long out_length[], const long *const sizes[], const long piece_count[],
                              struct c1d_inflate_scratch *const scratch[], int done[]);

#endif
