#include "c1d_sndfile.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// The only platform branch: which files to dlopen, and what to tell a user who has none of them.
#if defined(__APPLE__)
// Homebrew on Apple Silicon installs outside dlopen's default search path, so its path is tried last.
static const char *const platform_candidates[] = {
  "libsndfile.1.dylib", "libsndfile.dylib", "/opt/homebrew/lib/libsndfile.1.dylib", NULL,
};
static const char install_hint[] = "brew install libsndfile";
#else
// ELF systems (glibc, musl, the BSDs): the runtime package installs the versioned name; the unversioned
// one exists only with the development package.
static const char *const platform_candidates[] = {"libsndfile.so.1", "libsndfile.so", NULL};
static const char install_hint[] =
    "Debian/Ubuntu: apt install libsndfile1; Fedora: dnf install libsndfile; Alpine: apk add libsndfile";
#endif

// Every libsndfile function the package calls: RETURN, NAME, PARAMETERS, ARGUMENTS.
#define C1D_SNDFILE_FUNCTIONS(F)                                                                             \
  F(SNDFILE *, sf_open_virtual, (SF_VIRTUAL_IO *sfvirtual, int mode, SF_INFO *sfinfo, void *user_data),      \
    (sfvirtual, mode, sfinfo, user_data))                                                                    \
  F(int, sf_close, (SNDFILE *sndfile), (sndfile))                                                            \
  F(sf_count_t, sf_readf_float, (SNDFILE *sndfile, float *ptr, sf_count_t frames), (sndfile, ptr, frames))   \
  F(sf_count_t, sf_writef_float, (SNDFILE *sndfile, const float *ptr, sf_count_t frames),                    \
    (sndfile, ptr, frames))                                                                                  \
  F(int, sf_error, (SNDFILE *sndfile), (sndfile))                                                            \
  F(const char *, sf_strerror, (SNDFILE *sndfile), (sndfile))                                                \
  F(const char *, sf_error_number, (int errnum), (errnum))

#define C1D_FIELD(ret, name, params, args) ret(*name) params;
static struct {
  C1D_SNDFILE_FUNCTIONS(C1D_FIELD)
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static const char *library;
// dlerror's text lives in a per-thread buffer that the next dl call overwrites: keep a copy.
static char failure[512];

static void remember_failure(const char *reason) {
  snprintf(failure, sizeof failure, "%s", reason ? reason : "unknown dynamic loader error");
}

// All of the library's functions, or none: a libsndfile missing one of them is treated as absent.
static bool resolve(void *handle) {
#define C1D_RESOLVE(ret, name, params, args)                                                                 \
  *(void **)&api.name = dlsym(handle, #name);                                                                \
  if (!api.name) return false;
  C1D_SNDFILE_FUNCTIONS(C1D_RESOLVE)
  return true;
}

static void load(void) {
  const char *override = getenv("C1D_SNDFILE_LIBRARY");
  const char *const only_override[] = {override, NULL};
  const char *const *candidates = override && *override ? only_override : platform_candidates;
  library = candidates[0];
  for (const char *const *name = candidates; *name; name++) {
    // RTLD_NOW: a broken install fails here, as a message, not at the first call. RTLD_LOCAL: its symbols
    // stay out of the global namespace. The handle stays open for the life of the process.
    void *handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      // The first name's reason is the one to show: the fallbacks are expected to be missing.
      if (name == candidates) remember_failure(dlerror());
      continue;
    }
    if (resolve(handle)) {
      library = *name;
      loaded = true;
      return;
    }
    remember_failure(dlerror());
    dlclose(handle);
  }
}

bool c1d_sndfile_load(void) {
  pthread_once(&load_once, load);
  return loaded;
}

const char *c1d_sndfile_failure(void) { return loaded || !failure[0] ? NULL : failure; }

const char *c1d_sndfile_library(void) { return library; }

const char *c1d_sndfile_install_hint(void) { return install_hint; }

#define C1D_FORWARD(ret, name, params, args)                                                                 \
  ret c1d_##name params { return api.name args; }
C1D_SNDFILE_FUNCTIONS(C1D_FORWARD)
