#ifndef C1D_SNDFILE_H
#define C1D_SNDFILE_H
// libsndfile for the convrun CLI's audio files, opened with dlopen on first use instead of linked:
// a linked libsndfile makes the dynamic loader map it and its codecs (FLAC, Vorbis, Opus, Ogg, mpg123,
// LAME) at every start, about 1 ms of each convrun process, although most runs read no audio. Only
// the types and constants come from <sndfile.h>, at build time (Debian: libsndfile1-dev, which
// tools/setup.sh installs); at run time the library itself (Debian: libsndfile1) is optional.
//
// C1D_SNDFILE_LIBRARY, when set, is the only library file tried (a path or a name for dlopen): the
// tests point it at a missing file to reach the load-failure path, and it reaches a libsndfile outside
// the loader's search path.
#include <stdbool.h>
#if __has_include(<sndfile.h>)
#include <sndfile.h>
#else
#error "building convrun needs libsndfile's header: apt install libsndfile1-dev (tools/setup.sh does)"
#endif

/// Loads libsndfile once per process (thread-safe; later calls return the first answer). True when the
/// c1d_sf_* functions below may be called.
bool c1d_sndfile_load(void);

/// After a failed c1d_sndfile_load: why (dlerror's text). NULL otherwise.
const char *c1d_sndfile_failure(void);

/// After c1d_sndfile_load: the library file loaded, or else the one it tried first (libsndfile.so.1,
/// libsndfile.1.dylib or C1D_SNDFILE_LIBRARY), for messages.
const char *c1d_sndfile_library(void);

/// How to install libsndfile on this platform, for messages.
const char *c1d_sndfile_install_hint(void);

// libsndfile's functions of the same names without the c1d_ prefix. Only after c1d_sndfile_load()
// returned true.
SNDFILE *c1d_sf_open_virtual(SF_VIRTUAL_IO *sfvirtual, int mode, SF_INFO *sfinfo, void *user_data);
int c1d_sf_close(SNDFILE *sndfile);
sf_count_t c1d_sf_readf_float(SNDFILE *sndfile, float *ptr, sf_count_t frames);
sf_count_t c1d_sf_writef_float(SNDFILE *sndfile, const float *ptr, sf_count_t frames);
int c1d_sf_error(SNDFILE *sndfile);
const char *c1d_sf_strerror(SNDFILE *sndfile);
const char *c1d_sf_error_number(int errnum);

#endif
