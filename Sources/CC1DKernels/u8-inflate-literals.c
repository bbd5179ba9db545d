// Inflate for the streams the reference writers make of float byte planes: Huffman blocks of literals only
// (and stored blocks). One table lookup decodes up to three literals, where libdeflate decodes one, and up
// to four independent streams are decoded in one loop so that their lookups overlap: an f16 exponent plane
// (~5 bits a literal: two a lookup) inflates ~1.25 times as fast alone, ~2 times in a group of four; a
// float32 exponent plane or a bfloat16 high byte (~2.2 bits a literal) mostly three a lookup. Anything else (a match, a code zlib would
// refuse, a stream that ends early or late) is declined, and the caller inflates the stream with libdeflate,
// which names what is wrong: this path never decides that a stream is bad, only that it is not its kind.
#include "c1d_decode.h"

#include <string.h>

enum { TABLE_BITS = 11, TABLE_SIZE = 1 << TABLE_BITS, MAX_CODE_BITS = 15 };
enum { LITLEN_SYMBOLS = 288, DISTANCE_SYMBOLS = 32, PRECODE_SYMBOLS = 19, END_OF_BLOCK = 256 };

// A multi entry: bits 0-5 the bits it consumes (so that the entry itself is the shift count: x86 takes the
// low 6 bits of a 64-bit shift's count), 6-29 the literals (first in the low bits), 30-31 how many it writes
// (1-3; 0: special). The fast loops take each entry whole: its literals are `entry >> 6` (stored as four
// bytes, of which `entry >> 30` count), and `valid -= entry` keeps the bit count right modulo 64.
// A special consumes and writes nothing there, so that every later lookup of the round meets it again and
// one check a round finds it; its bits 6-7 say which, and an end of block's code length is in bits 8-11.
enum { LITERALS_SHIFT = 6, COUNT_SHIFT = 30, CONSUMED_MASK = 63 };
enum { SPECIAL_END_OF_BLOCK = 1, SPECIAL_LONG_CODE = 2, SPECIAL_MATCH = 3, SPECIAL_LENGTH_SHIFT = 8 };

// A single entry: the symbol, and its length in bits 16-19 (0: the prefix of a code longer than TABLE_BITS).
#define SINGLE(symbol, length) ((uint32_t)(symbol) | (uint32_t)(length) << 16)

typedef struct {
  const uint8_t *next, *end;
  uint64_t buffer;  // bits past `valid` are zero or the stream's own next bits
  unsigned valid;
  unsigned padding;  // zero bytes supplied past the end of the deflate data
} bit_reader;

typedef struct {
  uint16_t count[MAX_CODE_BITS + 1];
  uint16_t symbols[LITLEN_SYMBOLS];  // in code order
} canonical_code;

struct c1d_inflate_scratch {
  uint32_t single[TABLE_SIZE];
  uint32_t multi[TABLE_SIZE];
  canonical_code code;
};

long c1d_inflate_scratch_size(void) { return (long)sizeof(struct c1d_inflate_scratch); }

static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// Tops the buffer up to at least 56 bits; past the end of the data, with zero bytes it counts.
static inline void refill(bit_reader *r) {
  if (r->end - r->next >= 8) {
    r->buffer |= load_le64(r->next) << r->valid;
    r->next += (63 - r->valid) >> 3;
    r->valid |= 56;
    return;
  }
  while (r->valid <= 56) {
    uint64_t byte = 0;
    if (r->next < r->end) byte = *r->next++; else r->padding++;
    r->buffer |= byte << r->valid;
    r->valid += 8;
  }
}

static inline unsigned take(bit_reader *r, unsigned n) {
  unsigned v = (unsigned)(r->buffer & ((1ull << n) - 1));
  r->buffer >>= n;
  r->valid -= n;
  return v;
}

// The byte the reader is at, once at a byte boundary (padding counts as bytes read).
static inline const uint8_t *byte_position(const bit_reader *r) { return r->next + r->padding - r->valid / 8; }

// Counts the lengths and orders the symbols by code. Returns the Kraft surplus: 0 for a complete code,
// positive for an incomplete one, -1 for an over-subscribed one.
static int canonicalize(const uint8_t *lengths, int n, canonical_code *code) {
  uint16_t offsets[MAX_CODE_BITS + 2];
  memset(code->count, 0, sizeof code->count);
  for (int s = 0; s < n; s++) code->count[lengths[s]]++;
  code->count[0] = 0;
  int left = 1;
  for (int length = 1; length <= MAX_CODE_BITS; length++) {
    left = (left << 1) - code->count[length];
    if (left < 0) return -1;
  }
  offsets[1] = 0;
  for (int length = 1; length <= MAX_CODE_BITS; length++) offsets[length + 1] = offsets[length] + code->count[length];
  for (int s = 0; s < n; s++)
    if (lengths[s]) code->symbols[offsets[lengths[s]]++] = (uint16_t)s;
  return left;
}

// One symbol, walking the canonical code a bit at a time (as zlib's puff does); -1 if none matches.
static int decode_slowly(bit_reader *r, const canonical_code *code) {
  int value = 0, first = 0, index = 0;
  for (int length = 1; length <= MAX_CODE_BITS; length++) {
    value |= (int)take(r, 1);
    int count = code->count[length];
    if (value - first < count) return code->symbols[index + value - first];
    index += count;
    first = (first + count) << 1;
    value <<= 1;
  }
  return -1;
}

static inline unsigned reverse_bits(unsigned code, unsigned length) {
  unsigned reversed = 0;
  for (unsigned i = 0; i < length; i++, code >>= 1) reversed = reversed << 1 | (code & 1);
  return reversed;
}

// Deflate sends a code's most significant bit first, so a table indexed by the next bits of the stream
// holds each code bit-reversed, repeated over the bits that follow it.
static void build_single_table(const canonical_code *code, uint32_t *single) {
  unsigned value = 0, index = 0;
  for (unsigned length = 1; length <= MAX_CODE_BITS; length++) {
    for (unsigned k = 0; k < code->count[length]; k++, value++) {
      unsigned symbol = code->symbols[index++];
      unsigned reversed = reverse_bits(value, length);
      if (length > TABLE_BITS) {
        single[reversed & (TABLE_SIZE - 1)] = SINGLE(symbol, 0);
      } else {
        for (unsigned i = reversed; i < TABLE_SIZE; i += 1u << length) single[i] = SINGLE(symbol, length);
      }
    }
    value <<= 1;
  }
}

// The literal at the low bits of `bits` when its code is at most `room` bits long, else -1 (a long code's
// single entry has length 0).
static inline int literal_within(const uint32_t *single, unsigned bits, unsigned room, unsigned *length) {
  uint32_t entry = single[bits];
  *length = entry >> 16;
  return (*length - 1u) < room && (entry & 0xFFFF) < END_OF_BLOCK ? (int)(entry & 0xFFFF) : -1;
}

// What the codes after a first one of `room` spare bits add to its entry, for each value `j` of those bits:
// the second literal when its code fits, and the third when it fits in what the second leaves.
static void build_tails(const uint32_t *single, unsigned room, uint32_t *tails) {
  for (unsigned j = 0; j < 1u << room; j++) {
    uint32_t tail = 0;
    unsigned second_length, third_length;
    int second = literal_within(single, j, room, &second_length);
    if (second >= 0) {
      tail = ((uint32_t)second << (LITERALS_SHIFT + 8) | 1u << COUNT_SHIFT) + second_length;
      int third = literal_within(single, j >> second_length, room - second_length, &third_length);
      if (third >= 0) tail += ((uint32_t)third << (LITERALS_SHIFT + 16) | 1u << COUNT_SHIFT) + third_length;
    }
    tails[j] = tail;
  }
}

// The multi table from the single one, one first code at a time: its entries are the indices whose low bits
// are that code, and the bits above them index the single table for the second symbol, and the bits above
// the second's for the third. What follows a first code depends only on its length, so the tails are made
// once per length (a few hundred values in all, where the table has 2048 entries).
static void build_multi_table(struct c1d_inflate_scratch *t) {
  const canonical_code *code = &t->code;
  uint32_t tails[TABLE_SIZE / 2];
  unsigned value = 0, index = 0;
  for (unsigned length = 1; length <= MAX_CODE_BITS; length++) {
    unsigned room = length <= TABLE_BITS ? TABLE_BITS - length : 0;
    int tails_built = 0;
    for (unsigned k = 0; k < code->count[length]; k++, value++) {
      unsigned symbol = code->symbols[index++];
      unsigned reversed = reverse_bits(value, length);
      if (length > TABLE_BITS) {
        // Entries that begin a code longer than the table (the single table holds length 0 there).
        t->multi[reversed & (TABLE_SIZE - 1)] = SPECIAL_LONG_CODE << LITERALS_SHIFT;
        continue;
      }
      uint32_t *multi = t->multi + reversed;
      if (symbol >= END_OF_BLOCK) {
        uint32_t special = symbol == END_OF_BLOCK ? SPECIAL_END_OF_BLOCK << LITERALS_SHIFT | length << SPECIAL_LENGTH_SHIFT
                                                   : SPECIAL_MATCH << LITERALS_SHIFT;
        for (unsigned j = 0; j < 1u << room; j++) multi[j << length] = special;
        continue;
      }
      if (!tails_built) {
        build_tails(t->single, room, tails);
        tails_built = 1;
      }
      const uint32_t head = symbol << LITERALS_SHIFT | 1u << COUNT_SHIFT | length;
      for (unsigned j = 0; j < 1u << room; j++) multi[j << length] = head + tails[j];
    }
    value <<= 1;
  }
}

static const uint8_t precode_order[PRECODE_SYMBOLS] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// A distance code zlib accepts: complete, empty, or one code of one bit.
static int acceptable_distances(const uint8_t *lengths, int n) {
  canonical_code code;
  int left = canonicalize(lengths, n, &code);
  if (left == 0) return 1;
  int used = 0, longest = 0;
  for (int s = 0; s < n; s++)
    if (lengths[s]) {
      used++;
      if (lengths[s] > longest) longest = lengths[s];
    }
  return left > 0 && (used == 0 || (used == 1 && longest == 1));
}

// A dynamic block's code lengths (RFC 1951 §3.2.7); returns the number of literal/length codes, 0 to decline.
static int read_code_lengths(bit_reader *r, uint8_t *lengths) {
  refill(r);
  int literal_count = (int)take(r, 5) + 257, distance_count = (int)take(r, 5) + 1, precode_count = (int)take(r, 4) + 4;
  if (literal_count > 286 || distance_count > 30) return 0;
  uint8_t precode_lengths[PRECODE_SYMBOLS] = {0};
  for (int i = 0; i < precode_count; i++) {
    refill(r);
    precode_lengths[precode_order[i]] = (uint8_t)take(r, 3);
  }
  canonical_code precode;
  if (canonicalize(precode_lengths, PRECODE_SYMBOLS, &precode) != 0) return 0;
  // Precode lengths are at most 7 bits: one lookup a symbol.
  uint16_t precode_table[1 << 7];
  {
    unsigned value = 0, index = 0;
    for (unsigned length = 1; length <= 7; length++, value <<= 1)
      for (unsigned k = 0; k < precode.count[length]; k++, value++) {
        unsigned symbol = precode.symbols[index++];
        for (unsigned i = reverse_bits(value, length); i < 128; i += 1u << length)
          precode_table[i] = (uint16_t)(symbol | length << 8);
      }
  }
  int total = literal_count + distance_count;
  for (int i = 0; i < total;) {
    refill(r);
    if (r->padding > 8) return 0;
    unsigned entry = precode_table[r->buffer & 127];
    take(r, entry >> 8);
    int symbol = entry & 0xFF;
    if (symbol < 16) {
      lengths[i++] = (uint8_t)symbol;
      continue;
    }
    int repeat;
    uint8_t value = 0;
    if (symbol == 16) {
      if (i == 0) return 0;
      value = lengths[i - 1];
      repeat = 3 + (int)take(r, 2);
    } else if (symbol == 17) {
      repeat = 3 + (int)take(r, 3);
    } else {
      repeat = 11 + (int)take(r, 7);
    }
    if (i + repeat > total) return 0;
    memset(lengths + i, value, (size_t)repeat);
    i += repeat;
  }
  if (!acceptable_distances(lengths + literal_count, distance_count)) return 0;
  // A code with lengths (symbols past the end of block) is a block with matches: declined before its
  // tables are built (a writer's Huffman-only blocks give their unused length symbols no code).
  for (int s = END_OF_BLOCK + 1; s < literal_count; s++)
    if (lengths[s]) return 0;
  return literal_count;
}

static int prepare_tables(const uint8_t *lengths, int n, struct c1d_inflate_scratch *t) {
  if (lengths[END_OF_BLOCK] == 0 || canonicalize(lengths, n, &t->code) != 0) return 0;
  build_single_table(&t->code, t->single);
  build_multi_table(t);
  return 1;
}

static int copy_stored(bit_reader *r, uint8_t **cursor, uint8_t *out_end) {
  take(r, r->valid & 7);
  const uint8_t *at = byte_position(r);
  if (at > r->end || r->end - at < 4) return 0;
  unsigned length = at[0] | at[1] << 8, complement = at[2] | at[3] << 8;
  if ((length ^ 0xFFFF) != complement) return 0;
  at += 4;
  if ((size_t)(r->end - at) < length || (size_t)(out_end - *cursor) < length) return 0;
  memcpy(*cursor, at, length);
  *cursor += length;
  r->next = at + length;
  r->padding = 0;
  r->buffer = 0;
  r->valid = 0;
  return 1;
}

static int set_fixed_lengths(uint8_t *lengths) {
  memset(lengths, 8, 144);
  memset(lengths + 144, 9, 112);
  memset(lengths + 256, 7, 24);
  memset(lengths + 280, 8, 8);
  return LITLEN_SYMBOLS;
}

enum { IN_BLOCK, DONE, DECLINED };

typedef struct {
  bit_reader r;
  uint8_t *out, *out_end;
  const struct c1d_inflate_scratch *tables;  // the current block's: `own`, or the fixed code's
  struct c1d_inflate_scratch *own;
  int piece;  // a piece of a stream (c1d_inflate_pieces): ends at `r.end` after a non-final block
  int final;  // the block being decoded is the last
  int status;
} literal_stream;

static void finish(literal_stream *s) {
  take(&s->r, s->r.valid & 7);
  s->status = s->out == s->out_end && byte_position(&s->r) == s->r.end ? DONE : DECLINED;
}

// The fixed code's tables, built once per process: the first thread to need them builds them here, and
// one that needs them meanwhile builds its own copy in `own`. Small tensors (batch-norm statistics, biases)
// deflate to fixed blocks, mostly with matches (declined at the first), and building the tables for each
// was ~12 µs (2% of a QuartzNet block's whole process).
static struct c1d_inflate_scratch fixed_code_tables;
static int fixed_code_state;  // 0 not built, 1 being built, 2 ready

static const struct c1d_inflate_scratch *fixed_tables(struct c1d_inflate_scratch *own) {
  if (__atomic_load_n(&fixed_code_state, __ATOMIC_ACQUIRE) == 2) return &fixed_code_tables;
  int expected = 0;
  int builds_shared = __atomic_compare_exchange_n(&fixed_code_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  struct c1d_inflate_scratch *t = builds_shared ? &fixed_code_tables : own;
  uint8_t lengths[LITLEN_SYMBOLS];
  prepare_tables(lengths, set_fixed_lengths(lengths), t);  // a complete code: always prepared
  if (builds_shared) __atomic_store_n(&fixed_code_state, 2, __ATOMIC_RELEASE);
  return t;
}

// Reads block headers, copying stored blocks, until a Huffman block begins or the stream ends.
static void enter_block(literal_stream *s) {
  uint8_t lengths[LITLEN_SYMBOLS + DISTANCE_SYMBOLS];
  for (;;) {
    if (s->final) return finish(s);
    if (s->piece && s->r.valid == 0 && s->r.next == s->r.end) {  // after a stored block, exactly at the end
      s->status = s->out == s->out_end ? DONE : DECLINED;
      return;
    }
    refill(&s->r);
    s->status = DECLINED;
    if (s->r.padding > 8) return;
    s->final = (int)take(&s->r, 1);
    if (s->final && s->piece) return;  // a piece's blocks are never the stream's last
    unsigned type = take(&s->r, 2);
    if (type == 0) {
      if (!copy_stored(&s->r, &s->out, s->out_end)) return;
      continue;
    }
    if (type == 1) {
      s->tables = fixed_tables(s->own);
      s->status = IN_BLOCK;
      return;
    }
    int literal_count = type == 2 ? read_code_lengths(&s->r, lengths) : 0;
    if (literal_count == 0 || !prepare_tables(lengths, literal_count, s->own)) return;
    s->tables = s->own;
    s->status = IN_BLOCK;
    return;
  }
}

// Room for a round of the interleaved loops (`ROUNDS` is at least 1 exactly then).
static inline int has_room(const literal_stream *s) { return s->out_end - s->out >= 20 && s->r.end - s->r.next >= 15; }

// Whether the fast loop cannot take the stream's next entry: near an end of its buffers, or a special.
static inline int needs_step(const literal_stream *s) {
  return !has_room(s) || s->r.valid < TABLE_BITS || !(s->tables->multi[s->r.buffer & (TABLE_SIZE - 1)] >> COUNT_SHIFT);
}

// One symbol the careful way, bounds checked: near either end of the buffers, or at a special entry.
static void step(literal_stream *s) {
  const struct c1d_inflate_scratch *t = s->tables;
  bit_reader *r = &s->r;
  refill(r);
  if (r->padding > 8) {
    s->status = DECLINED;
    return;
  }
  uint32_t e = t->multi[r->buffer & (TABLE_SIZE - 1)];
  if (e >> COUNT_SHIFT) {
    if (s->out >= s->out_end) {
      s->status = DECLINED;
      return;
    }
    uint32_t single = t->single[r->buffer & (TABLE_SIZE - 1)];
    *s->out++ = (uint8_t)single;
    take(r, single >> 16);
    return;
  }
  int symbol;
  switch ((e >> LITERALS_SHIFT) & 3) {
  case SPECIAL_END_OF_BLOCK:
    take(r, (e >> SPECIAL_LENGTH_SHIFT) & 15);
    return enter_block(s);
  case SPECIAL_LONG_CODE:
    symbol = decode_slowly(r, &t->code);
    if (symbol == END_OF_BLOCK) return enter_block(s);
    if (symbol < 0 || symbol > END_OF_BLOCK || s->out >= s->out_end) break;
    *s->out++ = (uint8_t)symbol;
    return;
  default:
    break;  // a match
  }
  s->status = DECLINED;
}

// The fast loop's state of one stream, in locals: through the stream's fields, every store to `out` would
// reload them.
#define LOAD_STREAM(x, s) \
  uint64_t x##buffer = (s)->r.buffer; \
  unsigned x##valid = (s)->r.valid; \
  const uint8_t *x##next = (s)->r.next; \
  uint8_t *x##out = (s)->out; \
  const uint32_t *x##multi = (s)->tables->multi
#define SAVE_STREAM(x, s) \
  ((s)->r.buffer = x##buffer, (s)->r.valid = x##valid & 63, (s)->r.next = x##next, (s)->out = x##out)
// At least 56 bits: four lookups of at most TABLE_BITS bits each. `valid` is right in its low 6 bits only
// (EMIT subtracts whole entries).
#define REFILL(x) \
  (x##valid &= 63, x##buffer |= load_le64(x##next) << x##valid, x##next += (63 - x##valid) >> 3, x##valid |= 56)
// Writes the entry's literals (four bytes, of which none to three count) and consumes its bits.
#define EMIT(x, e) \
  do { \
    uint32_t literals_ = (e) >> LITERALS_SHIFT; \
    memcpy(x##out, &literals_, 4); \
    x##out += (e) >> COUNT_SHIFT; \
    x##buffer >>= (e) & CONSUMED_MASK; \
    x##valid -= (e); \
  } while (0)

#define BOUNDS(x, s) \
  const uint8_t *x##end = (s)->r.end; \
  uint8_t *x##out_end = (s)->out_end
// Rounds of the fast loop the stream has room for: each writes at most 12 bytes (four stores of four, up to
// three counting) and moves the input at most 7 bytes, and every load and store stays inside the buffers.
#define ROUNDS(x) min_long((x##out_end - x##out - 8) / 12, (x##end - x##next - 8) / 7)
#define LOOKUP(x) x##multi[x##buffer & (TABLE_SIZE - 1)]

static inline long min_long(long a, long b) { return a < b ? a : b; }

static void run_one(literal_stream *s) {
  while (s->status == IN_BLOCK) {
    {
      LOAD_STREAM(a, s);
      BOUNDS(a, s);
      for (long rounds = ROUNDS(a); rounds > 0; rounds--) {
        REFILL(a);
        uint32_t e = 0;
        for (int k = 0; k < 4; k++) {
          e = LOOKUP(a);
          EMIT(a, e);
        }
        if (!(e >> COUNT_SHIFT)) break;  // a special: met at every lookup since (see EMIT)
      }
      SAVE_STREAM(a, s);
    }
    step(s);
  }
}

// One careful step for each stream the fast loop stopped at (a special entry, or near an end).
static void step_where_needed(literal_stream *const *streams, int count) {
  for (int i = 0; i < count; i++)
    if (streams[i]->status == IN_BLOCK && needs_step(streams[i])) step(streams[i]);
}

// Independent streams in one loop: each lookup waits for the one before it in its own stream, so
// interleaving the streams' lookups keeps as many in flight on one core. Both return when a stream
// leaves its blocks (done or declined).
static void run_two(literal_stream *s, literal_stream *t) {
  literal_stream *const streams[2] = {s, t};
  while (s->status == IN_BLOCK && t->status == IN_BLOCK) {
    {
      LOAD_STREAM(a, s);
      LOAD_STREAM(b, t);
      BOUNDS(a, s);
      BOUNDS(b, t);
      for (long rounds = min_long(ROUNDS(a), ROUNDS(b)); rounds > 0; rounds--) {
        REFILL(a);
        REFILL(b);
        uint32_t ea = 0, eb = 0;
        for (int k = 0; k < 4; k++) {
          ea = LOOKUP(a), eb = LOOKUP(b);
          EMIT(a, ea);
          EMIT(b, eb);
        }
        if (!(ea >> COUNT_SHIFT) || !(eb >> COUNT_SHIFT)) break;
      }
      SAVE_STREAM(a, s);
      SAVE_STREAM(b, t);
    }
    step_where_needed(streams, 2);
  }
}

static void run_four(literal_stream *const *streams) {
  literal_stream *s = streams[0], *t = streams[1], *u = streams[2], *v = streams[3];
  while (s->status == IN_BLOCK && t->status == IN_BLOCK && u->status == IN_BLOCK && v->status == IN_BLOCK) {
    {
      LOAD_STREAM(a, s);
      LOAD_STREAM(b, t);
      LOAD_STREAM(c, u);
      LOAD_STREAM(d, v);
      BOUNDS(a, s);
      BOUNDS(b, t);
      BOUNDS(c, u);
      BOUNDS(d, v);
      for (long rounds = min_long(min_long(ROUNDS(a), ROUNDS(b)), min_long(ROUNDS(c), ROUNDS(d))); rounds > 0; rounds--) {
        REFILL(a);
        REFILL(b);
        REFILL(c);
        REFILL(d);
        uint32_t ea = 0, eb = 0, ec = 0, ed = 0;
        for (int k = 0; k < 4; k++) {
          ea = LOOKUP(a), eb = LOOKUP(b), ec = LOOKUP(c), ed = LOOKUP(d);
          EMIT(a, ea);
          EMIT(b, eb);
          EMIT(c, ec);
          EMIT(d, ed);
        }
        if (!(ea >> COUNT_SHIFT) || !(eb >> COUNT_SHIFT) || !(ec >> COUNT_SHIFT) || !(ed >> COUNT_SHIFT)) break;
      }
      SAVE_STREAM(a, s);
      SAVE_STREAM(b, t);
      SAVE_STREAM(c, u);
      SAVE_STREAM(d, v);
    }
    step_where_needed(streams, 4);
  }
}

// Three streams: what a group of pieces comes down to when its count is not a multiple of four (Whisper's
// conv2 weights: seven pieces), where two lanes and one idle would otherwise run.
static void run_three(literal_stream *const *streams) {
  literal_stream *s = streams[0], *t = streams[1], *u = streams[2];
  while (s->status == IN_BLOCK && t->status == IN_BLOCK && u->status == IN_BLOCK) {
    {
      LOAD_STREAM(a, s);
      LOAD_STREAM(b, t);
      LOAD_STREAM(c, u);
      BOUNDS(a, s);
      BOUNDS(b, t);
      BOUNDS(c, u);
      for (long rounds = min_long(min_long(ROUNDS(a), ROUNDS(b)), ROUNDS(c)); rounds > 0; rounds--) {
        REFILL(a);
        REFILL(b);
        REFILL(c);
        uint32_t ea = 0, eb = 0, ec = 0;
        for (int k = 0; k < 4; k++) {
          ea = LOOKUP(a), eb = LOOKUP(b), ec = LOOKUP(c);
          EMIT(a, ea);
          EMIT(b, eb);
          EMIT(c, ec);
        }
        if (!(ea >> COUNT_SHIFT) || !(eb >> COUNT_SHIFT) || !(ec >> COUNT_SHIFT)) break;
      }
      SAVE_STREAM(a, s);
      SAVE_STREAM(b, t);
      SAVE_STREAM(c, u);
    }
    step_where_needed(streams, 3);
  }
}

// The streams still in their blocks, four, three, two or one at a time, until every one is done or declined.
static void run_group(literal_stream *streams, int count) {
  for (;;) {
    literal_stream *active[C1D_INFLATE_GROUP_MAX];
    int n = 0;
    for (int i = 0; i < count; i++)
      if (streams[i].status == IN_BLOCK) active[n++] = &streams[i];
    if (n == 0) return;
    if (n >= 4) run_four(active);
    else if (n == 3) run_three(active);
    else if (n == 2) run_two(active[0], active[1]);
    else run_one(active[0]);
  }
}

// Whether a zlib stream starts with a header for deflate (window at most 32 KiB, no preset dictionary).
static int zlib_header_ok(const uint8_t *in) {
  unsigned cmf = in[0], flg = in[1];
  return (cmf & 15) == 8 && (cmf >> 4) <= 7 && !(flg & 0x20) && (cmf * 256 + flg) % 31 == 0;
}

static void begin(literal_stream *s, const uint8_t *in, long in_length, uint8_t *out, long out_length,
                  struct c1d_inflate_scratch *tables) {
  memset(s, 0, sizeof *s);
  s->status = DECLINED;
  if (in_length < 7 || out_length < 0 || !zlib_header_ok(in)) return;
  s->r.next = in + 2;
  s->r.end = in + in_length - 4;  // the last four bytes are the Adler-32
  s->out = out;
  s->out_end = out + out_length;
  s->own = tables;
  enter_block(s);
}

int c1d_inflate_literals(const uint8_t *in, long in_length, uint8_t *out, long out_length,
                         struct c1d_inflate_scratch *scratch) {
  literal_stream s;
  begin(&s, in, in_length, out, out_length, scratch);
  run_one(&s);
  return s.status == DONE;
}

void c1d_inflate_literals_group(int count, const uint8_t *const in[], const long in_length[], uint8_t *const out[],
                                const long out_length[], struct c1d_inflate_scratch *const scratch[], int done[]) {
  literal_stream streams[C1D_INFLATE_GROUP_MAX];
  if (count > C1D_INFLATE_GROUP_MAX) count = C1D_INFLATE_GROUP_MAX;
  for (int i = 0; i < count; i++) begin(&streams[i], in[i], in_length[i], out[i], out_length[i], scratch[i]);
  run_group(streams, count);
  for (int i = 0; i < count; i++) done[i] = streams[i].status == DONE;
}

// ---------------------------------------------------------------------------------------------------------
// Pieces: a stream as the reference writers cut it, decoded four pieces at a time.

// Where the stored blocks of a stored piece of `size` bytes end, copying them to `out`; NULL unless the piece
// is exactly such blocks (header byte 0: not final, padding zero).
static const uint8_t *copy_stored_piece(const uint8_t *p, const uint8_t *end, uint8_t *out, long size) {
  // The block headers first, so that a stream cut otherwise (a whole plane a piece) is declined before any copy.
  const uint8_t *q = p;
  for (long left = size; left > 0;) {
    if (end - q < 5 || q[0] != 0) return NULL;
    long length = q[1] | q[2] << 8;
    if ((length ^ 0xFFFF) != (q[3] | q[4] << 8) || length == 0 || length > left || end - q - 5 < length) return NULL;
    left -= length;
    q += 5 + length;
  }
  for (; p < q; p += 5 + (p[1] | p[2] << 8)) {
    long length = p[1] | p[2] << 8;
    memcpy(out, p + 5, (size_t)length);
    out += length;
  }
  return q;
}

// The end of a Huffman piece starting at `p`: just past the sync flush's empty stored block (`00 00 FF FF`,
// byte-aligned after the block header's three bits); NULL when there is none before `end`.
static const uint8_t *sync_flush_end(const uint8_t *p, const uint8_t *end) {
  static const uint8_t marker[4] = {0x00, 0x00, 0xFF, 0xFF};
  for (const uint8_t *q = p + 1; end - q >= 4; q++) {
    q = memchr(q, 0x00, (size_t)(end - q - 3));
    if (!q) return NULL;
    if (memcmp(q, marker, 4) == 0) return q + 4;
  }
  return NULL;
}

// The walk through a stream's pieces: stored pieces are copied as they are passed, pieces of literals handed
// to the lanes that decode them.
typedef struct {
  const uint8_t *p, *end;  // the next piece; the Adler-32
  uint8_t *out;
  long out_length, produced;
  const long *sizes;
  long count, next;  // pieces in all; the next one's index
} piece_walk;

enum { WALK_ERROR = -1, WALK_DONE = 0, WALK_PIECE = 1 };

// Copies stored pieces until a piece of Huffman blocks, which it starts in `lane`: WALK_PIECE; WALK_DONE
// after the last piece; WALK_ERROR where the stream is not cut as `sizes` says.
static int start_next_piece(piece_walk *w, literal_stream *lane, struct c1d_inflate_scratch *scratch) {
  while (w->next < w->count) {
    long size = w->sizes[w->next++];
    const uint8_t *p = w->p;
    if (size <= 0 || size > w->out_length - w->produced || p >= w->end) return WALK_ERROR;
    uint8_t *out = w->out + w->produced;
    w->produced += size;
    if ((p[0] & 7) == 0) {  // stored blocks
      if (!(w->p = copy_stored_piece(p, w->end, out, size))) return WALK_ERROR;
      continue;
    }
    if ((p[0] & 1) || (p[0] & 6) == 6) return WALK_ERROR;  // a final block, or BTYPE 11
    const uint8_t *stop = sync_flush_end(p, w->end);
    // A piece of literals takes at least an eighth of its size (a code is at least a bit long).
    if (!stop || stop - p > size + size / 8 + 1024 || (stop - p) * 8 < size) return WALK_ERROR;
    memset(lane, 0, sizeof *lane);
    lane->r.next = p;
    lane->r.end = stop;
    lane->out = out;
    lane->out_end = out + size;
    lane->own = scratch;
    lane->piece = 1;
    enter_block(lane);
    w->p = stop;
    return WALK_PIECE;
  }
  return WALK_DONE;
}

// Starts the zlib stream's walk; false when its header is not zlib's.
static int begin_walk(piece_walk *w, const uint8_t *in, long in_length, uint8_t *out, long out_length,
                      const long *sizes, long count) {
  *w = (piece_walk){in + 2, in + in_length - 4, out, out_length, 0, sizes, count, 0};  // Adler-32 last
  return in_length >= 11 && count > 0 && zlib_header_ok(in);
}

// Whether the walk passed every piece and the stream then ends as the writers end it: an empty final stored
// block, then the Adler-32.
static int walk_ended(const piece_walk *w) {
  static const uint8_t final_block[5] = {0x01, 0x00, 0x00, 0xFF, 0xFF};
  return w->next == w->count && w->produced == w->out_length && w->end - w->p == 5 && memcmp(w->p, final_block, 5) == 0;
}

void c1d_inflate_pieces_group(int count, const uint8_t *const in[], const long in_length[], uint8_t *const out[],
                              const long out_length[], const long *const sizes[], const long piece_count[],
                              struct c1d_inflate_scratch *const scratch[], int done[]) {
  piece_walk walks[C1D_INFLATE_GROUP_MAX];
  int failed[C1D_INFLATE_GROUP_MAX];
  if (count > C1D_INFLATE_GROUP_MAX) count = C1D_INFLATE_GROUP_MAX;
  for (int i = 0; i < count; i++)
    failed[i] = !begin_walk(&walks[i], in[i], in_length[i], out[i], out_length[i], sizes[i], piece_count[i]);
  literal_stream lanes[C1D_INFLATE_GROUP_MAX];
  int lane_walk[C1D_INFLATE_GROUP_MAX];  // the stream a lane's piece is of; -1 when idle
  int current = 0;                       // the stream whose pieces are handed out
  // Starts the next piece of literals in lane k, passing stored pieces and streams that failed.
  #define REFILL_LANE(k) \
    do { \
      lane_walk[k] = -1; \
      while (current < count) { \
        int started = failed[current] ? WALK_DONE : start_next_piece(&walks[current], &lanes[k], scratch[k]); \
        if (started == WALK_PIECE) { lane_walk[k] = current; break; } \
        if (started == WALK_ERROR) failed[current] = 1; \
        current++; \
      } \
    } while (0)
  for (int k = 0; k < C1D_INFLATE_GROUP_MAX; k++) REFILL_LANE(k);
  // A lane whose piece ends takes the next one, so that four pieces stay in flight while there are four.
  for (;;) {
    literal_stream *active[C1D_INFLATE_GROUP_MAX];
    int n = 0;
    for (int k = 0; k < C1D_INFLATE_GROUP_MAX; k++) {
      while (lane_walk[k] >= 0 && lanes[k].status != IN_BLOCK) {
        if (lanes[k].status == DECLINED) failed[lane_walk[k]] = 1;
        REFILL_LANE(k);
      }
      if (lane_walk[k] >= 0) active[n++] = &lanes[k];
    }
    if (n == 0) break;
    if (n >= 4) run_four(active);
    else if (n == 3) run_three(active);
    else if (n == 2) run_two(active[0], active[1]);
    else run_one(active[0]);
  }
  #undef REFILL_LANE
  for (int i = 0; i < count; i++) done[i] = !failed[i] && walk_ended(&walks[i]);
}

int c1d_inflate_pieces(const uint8_t *in, long in_length, uint8_t *out, long out_length, const long *sizes, long count,
                       struct c1d_inflate_scratch *const scratch[]) {
  int done = 0;
  c1d_inflate_pieces_group(1, &in, &in_length, &out, &out_length, &sizes, &count, scratch, &done);
  return done;
}
