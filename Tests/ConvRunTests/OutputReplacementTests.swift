import Testing

@testable import convrun

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `POSIXFile.replace` puts a finished output in place of the old one (issue 16: by exchanging names
/// rather than renaming over it, which ext4 follows with a flush of the new data).
@Suite("Putting a finished output in place")
final class OutputReplacementTests {
  let directory: String

  deinit {
    for name in names() { unlink("\(directory)/\(name)") }
    rmdir(directory)
  }

  init() throws {
    var template = Array("/tmp/convrun-replace-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    directory = String(cString: try #require(made))
  }

  private func write(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    #expect(POSIXFile.writeAll(Array(text.utf8), to: fd) == nil)
    close(fd)
  }

  private func contents(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    guard case .success(let bytes) = POSIXFile.readAll(fd) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The names in the directory, so a left-over temporary or a lost file shows.
  private func names() -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var found: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      if name != ".", name != ".." { found.append(name) }
    }
    return found.sorted()
  }

  @Test("over an existing file: the new contents, the old file gone, no temporary left")
  func overExistingFile() throws {
    try write("old", to: "\(directory)/out.npy")
    try write("new", to: "\(directory)/.out.npy.tmp")
    #expect(POSIXFile.replace("\(directory)/out.npy", with: "\(directory)/.out.npy.tmp") == nil)
    #expect(contents("\(directory)/out.npy") == "new")
    #expect(names() == ["out.npy"])
  }

  @Test("where nothing is yet: a plain rename")
  func overNothing() throws {
    try write("new", to: "\(directory)/.out.npy.tmp")
    #expect(POSIXFile.replace("\(directory)/out.npy", with: "\(directory)/.out.npy.tmp") == nil)
    #expect(contents("\(directory)/out.npy") == "new")
    #expect(names() == ["out.npy"])
  }

  @Test("over a symbolic link: the link is replaced, as rename does, and what it pointed to is kept")
  func overSymbolicLink() throws {
    try write("kept", to: "\(directory)/pointee")
    #expect(symlink("\(directory)/pointee", "\(directory)/out.npy") == 0)
    try write("new", to: "\(directory)/.out.npy.tmp")
    #expect(POSIXFile.replace("\(directory)/out.npy", with: "\(directory)/.out.npy.tmp") == nil)
    #expect(contents("\(directory)/out.npy") == "new" && contents("\(directory)/pointee") == "kept")
    #expect(names() == ["out.npy", "pointee"])
  }

  @Test("over a directory (one made there after the output was checked): an error, the directory kept")
  func overDirectory() throws {
    #expect(mkdir("\(directory)/out.npy", 0o755) == 0)
    defer { rmdir("\(directory)/out.npy") }
    try write("new", to: "\(directory)/.out.npy.tmp")
    let failure = POSIXFile.replace("\(directory)/out.npy", with: "\(directory)/.out.npy.tmp")
    #expect(failure?.code == EISDIR || failure?.code == ENOTEMPTY || failure?.code == EEXIST)
    var info = stat()
    #expect(stat("\(directory)/out.npy", &info) == 0 && POSIXFile.isDirectory(info))
    #expect(names() == ["out.npy"])
  }

  @Test("a temporary that does not exist is an error, and the old file stays")
  func missingTemporary() throws {
    try write("old", to: "\(directory)/out.npy")
    #expect(POSIXFile.replace("\(directory)/out.npy", with: "\(directory)/.missing.tmp")?.code == ENOENT)
    #expect(contents("\(directory)/out.npy") == "old")
  }

  @Test("blocks reserved ahead of a large output: on ext4 the blocks without the size, and the output written whole")
  func reservedBlocks() throws {
    let path = "\(directory)/out.npy"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    let bytes = 3 << 20
    let reserved = POSIXFile.reserveBlocks(fd, bytes: bytes)
    var info = stat()
    #expect(fstat(fd, &info) == 0)
    #expect(info.st_size == 0, "the size stays what is written")
    // (ext4 everywhere this was measured; elsewhere nothing is reserved and the write goes as before)
    if reserved {
      #expect(Int(info.st_blocks) * 512 >= bytes)
    } else {
      #expect(info.st_blocks == 0)
    }
    let output = EncodedOutput(prefix: Array("head".utf8), values: (0..<(bytes / 4)).map(Float.init))
    #expect(output.withParts { POSIXFile.writeAll($0, to: fd) } == nil)
    close(fd)
    #expect(stat(path, &info) == 0 && Int(info.st_size) == output.byteCount)
    let readBack = open(path, O_RDONLY)
    defer { close(readBack) }
    guard case .success(let written) = POSIXFile.readAll(readBack) else { Issue.record("cannot read \(path) back"); return }
    #expect(written == output.withParts { $0.flatMap { Array($0) } })
  }
}
