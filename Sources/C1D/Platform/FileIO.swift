#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only memory map of a whole regular file. Every POSIX call of the library lives in this directory.
///
/// Reading a file through its mapping costs no copy into a buffer of our own and no faults on fresh pages
/// for one: what is read goes straight from the page cache to where it is decoded.
public final class MappedFile: @unchecked Sendable {
  /// The mapped bytes; valid for the lifetime of the object (keep the object alive while using them:
  /// `withExtendedLifetime`), never written.
  public let bytes: UnsafeRawBufferPointer
  private let mapping: UnsafeMutableRawPointer?

  /// - Parameter populate: map every page at once (Linux's `MAP_POPULATE`), for a file that will be read
  ///   whole: one call instead of a page fault per few pages. Ignored elsewhere.
  /// - Throws: `C1DError.io` when the file cannot be opened, inspected or mapped, or is not a regular file.
  public convenience init(path: String, populate: Bool = false) throws {
    try self.init(path: path, populate: populate, keepingDescriptor: false)
  }

  /// A second handle on the file, to read it after the mapping is gone; nil unless asked for.
  private(set) var source: SourceFile?

  /// - Parameter keepingDescriptor: also keep the open file as `source`.
  init(path: String, populate: Bool = false, keepingDescriptor: Bool) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIO.error(path, "open") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileIO.error(path, "stat") }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw C1DError.io(path: path, operation: "open", errno: EINVAL, message: "not a regular file")
    }
    let size = Int(info.st_size)
    if keepingDescriptor { source = try SourceFile(duplicating: fd, path: path) }
    if size == 0 {
      mapping = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    #if os(Linux)
      let flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0)
    #else
      let flags = MAP_PRIVATE
    #endif
    guard let pointer = mmap(nil, size, PROT_READ, flags, fd, 0), pointer != MAP_FAILED else {
      throw FileIO.error(path, "mmap")
    }
    mapping = pointer
    bytes = UnsafeRawBufferPointer(start: pointer, count: size)
  }

  deinit {
    if let mapping { munmap(mapping, bytes.count) }
  }
}

/// An open file a model was loaded from, read with `pread` when its tensors' stored bytes are needed again
/// (to decode `Model.weights`, or for a re-save), instead of holding a copy of them. Not a mapping: a file
/// truncated by another process after the load must give an error, not a SIGBUS.
///
/// The descriptor follows the file, not the path: a file replaced by rename (as `save` does) still reads as
/// it was; one rewritten in place reads as it is now, which the reader's checksums catch.
final class SourceFile: @unchecked Sendable {  // the descriptor is only read, at explicit offsets
  let path: String
  private let descriptor: Int32

  init(duplicating fd: Int32, path: String) throws {
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0 else { throw FileIO.error(path, "dup") }
    descriptor = copy
    self.path = path
  }

  deinit { close(descriptor) }

  /// A regular file opened for reading at offsets, and its size; nil where `path` names no regular file
  /// that can be opened.
  static func regular(path: String) -> (SourceFile, Int)? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let file = try? SourceFile(duplicating: fd, path: path)
    else { return nil }
    return (file, Int(info.st_size))
  }

  /// Fills `buffer` with the file's bytes from `offset` on.
  /// - Throws: `C1DError.io` on a read error or when the file now ends before them.
  func read(offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    var done = 0
    while done < buffer.count {
      let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if got < 0 {
        if errno == EINTR { continue }
        throw FileIO.error(path, "read")
      }
      guard got > 0 else {
        throw C1DError.io(
          path: path, operation: "read", errno: EIO,
          message: "the file ends at \(offset + done) bytes, before byte \(offset + buffer.count) that it held when loaded")
      }
      done += got
    }
  }
}

enum FileIO {
  static func error(_ path: String, _ operation: String, _ code: Int32 = errno) -> C1DError {
    .io(path: path, operation: operation, errno: code, message: String(cString: strerror(code)))
  }

  /// Reads a whole file into memory.
  static func read(path: String) throws -> [UInt8] {
    let file = try MappedFile(path: path)
    return Array(file.bytes)
  }

  /// Replaces `path` with `bytes` atomically: a temporary file beside it is written, flushed to disk
  /// and renamed over the target, so a failed or interrupted write leaves any old file intact.
  static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { raw in try writeAtomically([raw], to: path) }
  }

  /// `writeAtomically` of several byte ranges one after another, so that a large payload (an output of
  /// gigabytes) is written from where it lies instead of being copied into one array first.
  static func writeAtomically(_ parts: [UnsafeRawBufferPointer], to path: String) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw error(path, "create temporary file") }
    var failure: C1DError?
    writing: for raw in parts where raw.count > 0 {
      var offset = 0
      while offset < raw.count {
        let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = error(path, "write")
          break writing
        }
        offset += written
      }
    }
    if failure == nil, fsync(fd) != 0 { failure = error(path, "fsync") }
    if close(fd) != 0, failure == nil { failure = error(path, "close") }
    if failure == nil, rename(temporary, path) != 0 { failure = error(path, "rename") }
    if let failure {
      unlink(temporary)
      throw failure
    }
    // Make the rename itself durable.
    let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
      fsync(directoryFD)
      close(directoryFD)
    }
  }
}
