import CSndFileLoader

/// libsndfile, loaded on the first audio file rather than linked, so that runs on .npy or raw input
/// never pay for mapping it and its codecs (see c1d_sndfile.h). Without it, audio is an error and
/// everything else still works.
enum SndFileLibrary {
  /// Loads libsndfile if this process has not yet tried.
  /// - Parameter purpose: what needs the library, starting the message ("reading speech.wav").
  /// - Throws: `AudioError` of kind `.libraryUnavailable`, naming the library, the loader's reason and
  ///   how to install it.
  static func require(for purpose: @autoclosure () -> String) throws(AudioError) {
    if c1d_sndfile_load() { return }
    let library = c1d_sndfile_library().map { String(cString: $0) } ?? "libsndfile"
    let reason = c1d_sndfile_failure().map { String(cString: $0) } ?? "no reason given"
    throw AudioError(
      kind: .libraryUnavailable,
      description: "\(purpose()) needs libsndfile (\(library)), which could not be loaded: \(reason) — install it (\(String(cString: c1d_sndfile_install_hint())))")
  }
}
