#ifndef C1D_CSNDFILE_SHIM_H
#define C1D_CSNDFILE_SHIM_H
// libsndfile (Debian: libsndfile1-dev) reads WAV, FLAC, Ogg/Vorbis/Opus and MP3 for the convrun CLI.
// Only the command line links it: the C1D library itself needs nothing beyond zlib.
#include <sndfile.h>
#endif
