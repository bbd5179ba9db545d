import C1D
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif


/// Reading input files, with messages that say what the path actually is.
enum InputFile {
  static let audioExtensions: Set<String> = ["wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "rf64"]

  static func hasAudioExtension(_ path: String) -> Bool {
    audioExtensions.contains(PathText.fileExtension(path).lowercased())
  }

  /// The whole file, or stdin for `-`: a regular file is memory-mapped, so that its payload is read once,
  /// where it is decoded, instead of being copied into a buffer first (an 8 MiB input cost ~2,000 page
  /// faults and two copies that way).
  /// - Throws: `CLIError` saying whether the path is missing, a directory, or unreadable, and why.
  static func read(_ path: String) throws -> InputBytes {
    if path == "-" { return InputBytes(try readToEnd(STDIN_FILENO, path: "stdin")) }
    guard !path.isEmpty else { throw CLIError(description: "the input path is empty: give a file name, or - for stdin", exitCode: 2) }
    var info = stat()
    guard stat(path, &info) == 0 else { throw failure(path, "cannot read \(path)") }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: throw CLIError(description: "\(path) is a directory, not an input file; give the files in it (e.g. \(path)/*.wav)")
    case S_IFREG where info.st_size > 0:  // (files of /proc say 0 and are read to their end)
      do {
        return InputBytes(try MappedFile(path: path, populate: true))
      } catch C1DError.io(_, _, let code, _) {
        throw failure(path, "cannot open \(path)", code)
      }
    default: break  // a FIFO or a character device (e.g. /dev/stdin, <(...)) is read to its end
    }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(path, "cannot open \(path)") }
    defer { close(descriptor) }
    return InputBytes(try readToEnd(descriptor, path: path))
  }

  private static func readToEnd(_ descriptor: Int32, path: String) throws -> [UInt8] {
    switch POSIXFile.readAll(descriptor) {
    case .success(let bytes): return bytes
    case .failure(let error): throw CLIError(description: "cannot read \(path): \(error.message)")
    }
  }

  static func failure(_ path: String, _ what: String, _ code: Int32 = errno) -> CLIError {
    CLIError(description: "\(what): \(String(cString: strerror(code)))")
  }
}

/// An input's bytes: a regular file's memory map, or what a pipe yielded.
final class InputBytes {
  private let mapped: MappedFile?
  private let array: [UInt8]

  init(_ mapped: MappedFile) { (self.mapped, array) = (mapped, []) }
  init(_ array: [UInt8]) { (mapped, self.array) = (nil, array) }

  /// The bytes, valid inside `body` only.
  func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    guard let mapped else { return try array.withUnsafeBytes(body) }
    return try withExtendedLifetime(mapped) { try body(mapped.bytes) }
  }
}

/// Writing output files: checked before a run (so that a long run is not wasted on an unwritable path)
/// and written atomically (a temporary file beside the target, renamed over it).
enum OutputFile {
  /// Refuses an empty path, a missing directory, a path that is a directory, and a read-only file
  /// unless `force` (a read-only file says "keep me"; replacing it silently would lose it).
  static func check(_ path: String, force: Bool) throws {
    guard !path.isEmpty else { throw CLIError(description: "-o needs a file or directory name, got an empty string", exitCode: 2) }
    let directory = PathText.directory(path)
    var info = stat()
    if !directory.isEmpty {
      guard stat(directory, &info) == 0 else {
        throw CLIError(description: "cannot write \(path): directory \(directory) does not exist (\(String(cString: strerror(errno)))); create it first")
      }
      guard info.st_mode & S_IFMT == S_IFDIR else { throw CLIError(description: "cannot write \(path): \(directory) is not a directory") }
    }
    guard stat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
      throw CLIError(description: "cannot write \(path): it is a directory; name a file, or end the name with / to write into it")
    }
    // Mode bits rather than access(2): root may write anything, but a read-only mode is still a choice.
    if info.st_mode & 0o222 == 0, !force {
      throw CLIError(description: "\(path) is read-only; convrun does not replace read-only files: pass --force to replace it, or choose another name")
    }
  }

  /// Replaces `path` with `output` atomically (a temporary file beside it, put in its place by
  /// `POSIXFile.replace`, so an existing file is never left half-written); the new file gets mode 0644 less
  /// the umask.
  ///
  /// No fsync: an output is a result that can be computed again, and `np.save` and `cp` don't flush either;
  /// flushing cost ~5 ms per 8 MiB of output, as much as a small model's whole run. (`Model.save`, which
  /// writes what may be the only copy of a model, does flush.)
  static func write(_ output: EncodedOutput, to path: String) throws {
    let directory = PathText.directory(absolute(path))
    let temporary = "\(directory == "/" ? "" : directory)/.\(PathText.lastComponent(path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw InputFile.failure(path, "cannot write \(path) (creating a temporary file in \(directory))") }
    var failure: CLIError?
    if output.byteCount >= POSIXFile.reservationThreshold { POSIXFile.reserveBlocks(fd, bytes: output.byteCount) }
    if let error = output.withParts({ POSIXFile.writeAll($0, to: fd) }) { failure = InputFile.failure(path, "cannot write \(path)", error.code) }
    if close(fd) != 0, failure == nil { failure = InputFile.failure(path, "cannot write \(path) (close)") }
    if failure == nil, let error = POSIXFile.replace(path, with: temporary) {
      failure = InputFile.failure(path, "cannot replace \(path)", error.code)
    }
    if let failure {
      unlink(temporary)
      throw failure
    }
  }

  /// Writes to stdout, for `-o -`.
  /// - Throws: `CLIError` when a write fails (a full disk behind a redirect), so the run does not end
  ///   with status 0 and a cut-off output.
  static func writeStandardOutput(_ output: EncodedOutput) throws {
    if let failure = output.withParts({ POSIXFile.writeAll($0, to: STDOUT_FILENO) }) {
      throw CLIError(description: "cannot write the output to standard output: \(failure.message); check where stdout goes (a full disk?)")
    }
  }

  /// `path` against the working directory, as the temporary file's directory was named before
  /// (URL(fileURLWithPath:) made it absolute), so messages keep their wording.
  private static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    guard let cwd = getcwd(nil, 0) else { return path }
    defer { free(cwd) }
    return String(cString: cwd) + "/" + path
  }
}

/// Loading the model argument, with the path's kind checked first: the library's own refusal of a
/// directory ("not a regular file (errno 22)") does not say what the path is.
enum ModelFile {
  static func checkPath(_ path: String) throws {
    var info = stat()
    if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
      throw CLIError(description: "\(path) is a directory, not a .c1d model file; give the model file (e.g. \(path)/model.c1d)")
    }
  }

  /// - Parameters:
  ///   - threads: the most threads the load may use, as the run (default: every core).
  ///   - preparing: when the weights are decoded and packed (`KernelPreparation`).
  static func load(_ path: String, threads: Int? = nil, preparing: KernelPreparation = .atLoad) throws -> Model {
    try checkPath(path)
    return try Model(contentsOf: path, threads: threads, preparing: preparing)
  }
}
