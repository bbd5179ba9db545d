#ifndef C1D_CZLIB_SHIM_H
#define C1D_CZLIB_SHIM_H
// Only zlib's real functions are used from Swift (compress2, uncompress2, crc32);
// none of its function-like macros, which Swift cannot import.
#include <zlib.h>
#endif
