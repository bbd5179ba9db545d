#ifndef C1D_CLIBDEFLATE_SHIM_H
#define C1D_CLIBDEFLATE_SHIM_H
// libdeflate (Debian: libdeflate-dev) decodes zlib streams whole-buffer, about twice as fast as zlib,
// and computes CRC-32 with carry-less multiplication. The format stays plain zlib.
#include <libdeflate.h>
#endif
