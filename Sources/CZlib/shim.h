#ifndef C1D_CZLIB_SHIM_H
#define C1D_CZLIB_SHIM_H
// Only zlib's real functions are used from Swift (deflateInit2_, deflate, deflateBound, deflateEnd,
// zlibVersion, uncompress2, adler32_z);
// none of its function-like macros, which Swift cannot import.
#include <zlib.h>
#endif
