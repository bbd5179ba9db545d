import Testing

@testable import ConvRunAudio

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// libsndfile is opened on first use (Sources/CSndFileLoader); a machine without it must still get a
/// typed error for audio, never a crash. Each case runs in a child process: the library is loaded once
/// per process, and this one has already loaded the real one.
@Suite("libsndfile loaded on first use")
struct SndFileLoaderTests {
  @Test("without libsndfile, reading and writing audio throw an error naming the library, the reason and the fix")
  func missingLibrary() async {
    await #expect(processExitsWith: .success) {
      // Read once, at the first load: the only library file tried.
      setenv("C1D_SNDFILE_LIBRARY", "/nonexistent/libsndfile.so.1", 1)
      let wav = AudioFileTests.pcm16WAV([0, 1, 2], rate: 8000)
      let read = #expect(throws: AudioError.self) { try AudioFile.decode(wav, name: "speech.wav") }
      #expect(read?.kind == .libraryUnavailable)
      let message = read?.description ?? ""
      #expect(message.hasPrefix("reading speech.wav needs libsndfile (/nonexistent/libsndfile.so.1), which could not be loaded: /nonexistent/libsndfile.so.1"), "\(message)")
      #expect(message.contains(" — install it ("), "\(message)")
      let written = #expect(throws: AudioError.self) { try AudioFile.encodeFloatWAV([0, 1], channels: 1, sampleRate: 8000) }
      #expect(written?.kind == .libraryUnavailable)
      #expect(written?.description.hasPrefix("writing WAV float32 audio needs libsndfile") == true, "\(written?.description ?? "")")
      // What needs no library still works.
      #expect(AudioFile.looksLikeAudio(wav))
    }
  }

  @Test("a file that is not libsndfile (no sf_open_virtual) counts as missing, with the loader's reason")
  func wrongLibrary() async {
    await #expect(processExitsWith: .success) {
      // zlib: present wherever this package builds, and without libsndfile's functions.
      #if canImport(Darwin)
        setenv("C1D_SNDFILE_LIBRARY", "libz.1.dylib", 1)
      #else
        setenv("C1D_SNDFILE_LIBRARY", "libz.so.1", 1)
      #endif
      let error = #expect(throws: AudioError.self) { try AudioFile.decode(AudioFileTests.pcm16WAV([0], rate: 8000), name: "a.wav") }
      #expect(error?.kind == .libraryUnavailable)
      #expect(error?.description.contains("sf_open_virtual") == true, "\(error?.description ?? "")")
    }
  }
}
