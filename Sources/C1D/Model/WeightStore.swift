/// A tensor of a loaded file: where its bytes lie and what they were at load.
struct StoredTensor: Sendable, Hashable {
  var entry: TensorEntry
  /// Its position in the file's tensor table: of several bad tensors, the loader reports the first.
  var index: Int
  /// CRC-32 of the stored bytes as loaded, to tell whether the file still holds them when they are read
  /// again: for codec none, the raw bytes' checksum (the same bytes); nil for a deflated tensor, whose
  /// stored bytes read again must instead inflate to raw bytes of the checksum the load verified (a pass
  /// over every stored byte at each load saved for the rare read after it).
  var storedCRC: UInt32?
}

/// A model's parameter tensors. A model built in code keeps the tensors it was given. A model loaded from
/// a file keeps only where each tensor lies in the file: its values are decoded when a kernel is made,
/// packed, and freed, so that the next tensor's decoding reuses the pages (a fresh page costs more to
/// fault in than the decoding of it); `Model.weights` decodes them again, once, on demand.
final class WeightStore: Sendable {
  /// Where a loaded file's bytes can be read again after the load.
  enum Origin: Sendable {
    case file(SourceFile)
    /// The caller's array (`Model(bytes:)`): kept by reference, not copied.
    case bytes([UInt8])
  }

  let shapes: [String: [Int]]
  private let given: [String: Tensor]
  /// By name; empty for a model built in code.
  let stored: [String: StoredTensor]
  private let origin: Origin?
  /// Whether the load decoded and checked every tensor (`KernelPreparation.atLoad`): a tensor that fails
  /// to decode later is then the file's change since. Otherwise the runs check them, and a failure is the
  /// tensor's own (as the load would have reported it).
  private let checkedAtLoad: Bool
  private let state: Locked<State>

  private struct State {
    /// The file's mapping while it loads; reads after the load go through `origin`.
    var mapping: MappedFile?
    /// Every tensor, once `tensors()` has decoded them.
    var all: [String: Tensor]?
    /// Tensors that failed to decode while kernels were made, by table index.
    var failures: [Int: C1DError] = [:]
    var decoded = Set<String>()
    /// Under per-run kernels, whether the tensors no kernel reads have been checked (after the first run).
    var unreadChecked = false
    /// Tensors inflated together with the one a kernel asked for (`decodeInflatedOrGrouped`), by name:
    /// their raw bytes waiting for the kernels that read them next (one group's at a time).
    var inflated: [String: ArraySlice<UInt8>] = [:]
    /// Tensors being inflated as partners, so that no second group takes them too.
    var claimed = Set<String>()
  }

  /// The `isGroupable` tensors in table order: the candidates for inflating several at once.
  private let groupable: [StoredTensor]
  /// A tensor that `Model.inflatesRawBytes`, of at least `groupingMinimumBytes` raw bytes, whose byte
  /// planes are not cut into `groupSize` pieces or more: such a tensor fills the lanes alone
  /// (`Zlib.inflatePieces`), and partners inflated with it would only hold their bytes longer. Grouped,
  /// wav2vec 2.0's four largest float32 tensors were inflated at once: 16 MiB more of fresh pages at one
  /// thread than decoding each before the next, ~2 ms of a 31 ms process.
  static func isGroupable(_ entry: TensorEntry) -> Bool {
    Model.inflatesRawBytes(entry) && entry.rawSize >= groupingMinimumBytes && piecesPerPlane(entry) < groupSize
  }

  /// How many pieces each byte plane of a `shuffle-deflate` tensor is cut into (`Model.pieceSizes`); 1 for
  /// other codecs, whose streams are inflated in order.
  static func piecesPerPlane(_ entry: TensorEntry) -> Int {
    guard entry.codec == .shuffleDeflate else { return 1 }
    let planeLength = entry.rawSize / entry.dtype.size
    return (planeLength + Zlib.deflatePiece - 1) / Zlib.deflatePiece
  }
  /// Below this, a tensor's own table builds cost more than the interleaving saves.
  static let groupingMinimumBytes = 64 * 1024
  /// Tensors inflated at once: each stream's lookups wait for its previous one, so interleaved streams keep
  /// more in flight on one core.
  static let groupSize = 4

  init(given: [String: Tensor]) {
    shapes = given.mapValues(\.shape)
    self.given = given
    stored = [:]
    origin = nil
    checkedAtLoad = true
    groupable = []
    state = Locked(State(all: given))
  }

  /// - Parameters:
  ///   - mapping: the file's mapping, read from until `endLoading()`.
  ///   - checkedAtLoad: whether the load decodes every tensor (else the runs do).
  init(stored tensors: [StoredTensor], origin: Origin, mapping: MappedFile?, checkedAtLoad: Bool = true) {
    var byName: [String: StoredTensor] = [:]
    for tensor in tensors { byName[tensor.entry.name] = tensor }
    stored = byName
    shapes = byName.mapValues(\.entry.shape)
    given = [:]
    self.origin = origin
    self.checkedAtLoad = checkedAtLoad
    groupable = tensors.filter { Self.isGroupable($0.entry) }.sorted { $0.index < $1.index }
    state = Locked(State(mapping: mapping))
  }

  /// A tensor's values for a kernel being made, which cannot throw: a tensor that fails to decode gives
  /// zeros and is recorded, and whoever makes the kernels throws `firstFailure()` instead of keeping them.
  func values(_ name: String) -> [Float] {
    if let tensor = given[name] { return tensor.values }
    if let tensor = state.withLock({ $0.all?[name] }) { return tensor.values }
    let tensor = stored[name]!
    do {
      let values = try decodeInflatedOrGrouped(tensor)
      state.withLock { _ = $0.decoded.insert(name) }
      return values
    } catch {
      state.withLock { $0.failures[tensor.index] = C1DError.wrap(error) }
      return [Float](repeating: 0, count: tensor.entry.rawSize / tensor.entry.dtype.size)
    }
  }

  /// The tensor's values from the raw bytes a group left for it, else inflated together with partners (the
  /// next groupable tensors in table order that no kernel has read), else decoded alone.
  private func decodeInflatedOrGrouped(_ tensor: StoredTensor) throws -> [Float] {
    if let values = try valuesFromGroup(tensor) { return values }
    let partners = claimPartners(for: tensor)
    guard !partners.isEmpty else { return try decode(tensor) }
    defer { state.withLock { state in partners.forEach { state.claimed.remove($0.entry.name) } } }
    let group = [tensor] + partners
    // Bytes that cannot be read (a file changed since the load) are each tensor's own error to report: the
    // tensor is then decoded alone, and so are its partners when their kernels ask.
    guard let raws = try? withStoredBytes(of: group[...], { Model.inflateGroup(group.map(\.entry), stored: $0) }) else {
      return try decode(tensor)
    }
    state.withLock { state in
      for (partner, raw) in zip(partners, raws.dropFirst()) where !state.decoded.contains(partner.entry.name) {
        state.inflated[partner.entry.name] = raw
      }
    }
    guard let raw = raws[0] else { return try decode(tensor) }
    return try Model.decodeInflated(tensor.entry, raw: raw)
  }

  /// The partners for inflating `tensor` in a group: only where the stored bytes are read as the tensor's own
  /// decode reads them (the load's mapping, or bytes no load checked), and no group's bytes wait yet.
  private func claimPartners(for tensor: StoredTensor) -> [StoredTensor] {
    guard groupable.count > 1, Self.isGroupable(tensor.entry) else { return [] }
    return state.withLock { state -> [StoredTensor] in
      guard state.inflated.isEmpty, state.mapping != nil || readsOwnBytes else { return [] }
      var partners: [StoredTensor] = []
      for candidate in groupable where partners.count < Self.groupSize - 1 && candidate.index > tensor.index {
        let name = candidate.entry.name
        if !state.decoded.contains(name) && !state.claimed.contains(name) { partners.append(candidate) }
      }
      for partner in partners { state.claimed.insert(partner.entry.name) }
      return partners
    }
  }

  /// `withStoredBytes` of several tensors at once, each read as its decode reads it.
  private func withStoredBytes<R>(
    of tensors: ArraySlice<StoredTensor>, _ body: ([UnsafeRawBufferPointer]) throws -> R
  ) throws -> R {
    guard let first = tensors.first else { return try body([]) }
    return try withStoredBytes(first, decoding: true) { bytes in
      try withStoredBytes(of: tensors.dropFirst()) { rest in try body([bytes] + rest) }
    }
  }

  /// Whether reads after the load give bytes whose decode failure is the tensor's own (no load checked them).
  private var readsOwnBytes: Bool {
    switch origin {
    case .bytes: true
    case .file: !checkedAtLoad
    case nil: false
    }
  }

  /// The first tensor, in table order, that `values` could not decode.
  func firstFailure() -> C1DError? {
    state.withLock { $0.failures.min { $0.key < $1.key }?.value }
  }

  /// Ends a load: checks the tensors no kernel decoded, and throws the first failure.
  func endLoading() throws {
    let decoded = state.withLock { $0.decoded }
    for tensor in stored.values.sorted(by: { $0.index < $1.index }) where !decoded.contains(tensor.entry.name) {
      do { _ = try decodeInflatedOrAlone(tensor) } catch { state.withLock { $0.failures[tensor.index] = C1DError.wrap(error) } }
    }
    state.withLock { state in
      state.decoded = []
      state.inflated = [:]
    }
    if let failure = firstFailure() { throw failure }
  }

  /// After a run under per-run kernels: the first time, decodes the tensors no kernel read (as `endLoading`
  /// does at load), then throws the first failure any decoding met.
  func checkAfterRun() throws {
    let unread = state.withLock { state -> [StoredTensor] in
      guard !state.unreadChecked else { return [] }
      state.unreadChecked = true
      return stored.values.filter { !state.decoded.contains($0.entry.name) }.sorted { $0.index < $1.index }
    }
    for tensor in unread {
      do { _ = try decodeInflatedOrAlone(tensor) } catch { state.withLock { $0.failures[tensor.index] = C1DError.wrap(error) } }
    }
    state.withLock { $0.inflated = [:] }
    if let failure = firstFailure() { throw failure }
  }

  /// Drops the file's mapping at the end of a load, whether it succeeded or not: later reads go through
  /// `origin`, never through a mapping that a truncation of the file would turn into a SIGBUS.
  func releaseMapping() {
    state.withLock { $0.mapping = nil }
  }

  /// Every tensor, decoded on the first call and kept.
  /// - Throws: `C1DError.sourceFileChanged` when the file was rewritten in place since the load.
  func tensors() throws -> [String: Tensor] {
    if let all = state.withLock({ $0.all }) { return all }
    var all: [String: Tensor] = [:]
    for (name, tensor) in stored {
      all[name] = Tensor(uncheckedShape: tensor.entry.shape, values: try decode(tensor))
    }
    // Two first calls at once both decode; either result is the same.
    return state.withLock { state in
      if state.all == nil { state.all = all }
      return state.all!
    }
  }

  /// A tensor's values for re-encoding: the kept ones, else decoded for the caller alone.
  func valuesForSaving(_ name: String) throws -> [Float] {
    if let tensor = given[name] ?? state.withLock({ $0.all?[name] }) { return tensor.values }
    return try decode(stored[name]!)
  }

  /// Whether `tensors()` has decoded and kept every tensor.
  var keepsValues: Bool { state.withLock { $0.all != nil } }

  /// The tensors whose raw bytes a group inflated and left for the kernels that read them next, by name.
  var inflatedWaiting: [String] { state.withLock { $0.inflated.keys.sorted() } }

  /// Whether the file's mapping is still held (only while loading).
  var holdsMapping: Bool { state.withLock { $0.mapping != nil } }

  /// The tensor's bytes as stored in the file.
  func storedBytes(_ tensor: StoredTensor) throws -> [UInt8] {
    try withStoredBytes(tensor) { Array($0) }
  }

  /// For the checks of tensors no kernel read: one a group inflated is decoded from those bytes.
  private func decodeInflatedOrAlone(_ tensor: StoredTensor) throws -> [Float] {
    try valuesFromGroup(tensor) ?? decode(tensor)
  }

  /// The tensor's values from the raw bytes a group left for it; nil when none wait.
  private func valuesFromGroup(_ tensor: StoredTensor) throws -> [Float]? {
    guard let raw = state.withLock({ $0.inflated.removeValue(forKey: tensor.entry.name) }) else { return nil }
    return try Model.decodeInflated(tensor.entry, raw: raw)
  }

  private func decode(_ tensor: StoredTensor) throws -> [Float] {
    try withStoredBytes(tensor, decoding: true) { try Model.decodeTensor(tensor.entry, stored: $0) }
  }

  /// Calls `body` with the tensor's stored bytes: from the mapping during the load, else from the origin;
  /// bytes read back from a file are checked against the checksum taken at load. A deflated tensor's
  /// check is its decode: when `decoding`, `body` is that decode, and its failure is the file's change.
  private func withStoredBytes<R>(
    _ tensor: StoredTensor, decoding: Bool = false, _ body: (UnsafeRawBufferPointer) throws -> R
  ) throws -> R {
    let range = tensor.entry.offset..<tensor.entry.offset + tensor.entry.storedSize
    if let mapping = state.withLock({ $0.mapping }) {
      return try withExtendedLifetime(mapping) { try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[range])) }
    }
    switch origin {
    case .bytes(let bytes):
      return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    case .file(let file) where !checkedAtLoad && decoding:
      // Never checked at load: the decode checks the bytes, and its failure is the tensor's own.
      return try Self.readBytes(tensor, from: file).withUnsafeBytes { try body($0) }
    case .file(let file):
      let bytes = try Self.read(tensor, from: file, decodedByCaller: decoding)
      do {
        return try bytes.withUnsafeBytes { try body($0) }
      } catch let error as C1DError where decoding && tensor.storedCRC == nil {
        throw Self.changed(tensor, file, "bytes that no longer decode to the values loaded: \(error)")
      }
    case nil:
      preconditionFailure("tensor '\(tensor.entry.name)' has no stored bytes: the model was built in code")
    }
  }

  private static func changed(_ tensor: StoredTensor, _ file: SourceFile, _ actual: String) -> C1DError {
    .sourceFileChanged(tensor: tensor.entry.name, path: file.path, expectedCRC: tensor.storedCRC ?? tensor.entry.crc32, actual: actual)
  }

  /// - Parameter decodedByCaller: a deflated tensor's bytes are then left to the caller's decode to check.
  private static func read(_ tensor: StoredTensor, from file: SourceFile, decodedByCaller: Bool) throws -> [UInt8] {
    let changed = { (actual: String) in Self.changed(tensor, file, actual) }
    let bytes: [UInt8]
    do {
      bytes = try readBytes(tensor, from: file)
    } catch {
      throw changed("bytes that cannot be read (\(error))")
    }
    guard let storedCRC = tensor.storedCRC else {
      if decodedByCaller { return bytes }
      do {
        _ = try bytes.withUnsafeBytes { try Model.decodeTensor(tensor.entry, stored: $0) }
      } catch {
        throw changed("bytes that no longer decode to the values loaded: \(error)")
      }
      return bytes
    }
    let crc = Zlib.crc32(bytes)
    guard crc == storedCRC else { throw changed("bytes of CRC-32 0x\(String(crc, radix: 16))") }
    return bytes
  }

  /// The tensor's stored bytes, read from the file.
  private static func readBytes(_ tensor: StoredTensor, from file: SourceFile) throws -> [UInt8] {
    let count = tensor.entry.storedSize
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try file.read(offset: tensor.entry.offset, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = count
    }
  }
}
