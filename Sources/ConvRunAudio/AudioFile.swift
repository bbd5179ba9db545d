import C1D
import CSndFileLoader

/// A decoded audio signal: `channels` rows of `frames` float32 samples (channel-major, so that it is
/// directly a `(1, channels, frames)` tensor), scaled as libsndfile scales it (int16 / 32768).
public struct AudioSignal: Sendable {
  public var channels: Int
  public var frames: Int
  public var sampleRate: Int
  /// A short name of the container and encoding, e.g. "WAV PCM 16-bit".
  public var format: String
  public var values: [Float]

  /// The signal as a `(1, channels, frames)` tensor.
  public func tensor() throws -> Tensor { try Tensor(shape: [1, channels, frames], values: values) }
}

/// An audio file that could not be read or written, with libsndfile's own reason; or libsndfile itself
/// missing, which only audio needs (see `SndFileLibrary`).
public struct AudioError: Error, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The bytes, or the samples to write: libsndfile refused them.
    case file
    /// libsndfile could not be loaded; nothing audio works until it is installed.
    case libraryUnavailable
  }

  public var kind = Kind.file
  public var description: String
}

/// Audio files through libsndfile: WAV (PCM 8/16/24/32, float, extensible), FLAC, Ogg/Vorbis/Opus,
/// MP3 and AIFF. Reading goes through memory (libsndfile's virtual I/O), so that stdin and fuzz bytes
/// take the same path as files.
public enum AudioFile {
  /// Whether the bytes start like a container libsndfile reads. Content decides, not the file name:
  /// a WAV named `.bin` is still audio, and a raw float32 file never starts with these tags by design.
  public static func looksLikeAudio(_ bytes: [UInt8]) -> Bool {
    func starts(_ tag: String, at offset: Int = 0) -> Bool {
      let tagBytes = Array(tag.utf8)
      return bytes.count >= offset + tagBytes.count && Array(bytes[offset..<offset + tagBytes.count]) == tagBytes
    }
    if (starts("RIFF") || starts("RIFX") || starts("RF64")) && starts("WAVE", at: 8) { return true }
    if starts("FORM") && (starts("AIFF", at: 8) || starts("AIFC", at: 8)) { return true }
    if starts("fLaC") || starts("OggS") || starts("ID3") { return true }
    // A bare MPEG audio frame: 11 sync bits, then layer bits that are not "reserved".
    return bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 && bytes[1] & 0x06 != 0
  }

  /// Decodes a whole audio file held in memory.
  /// - Parameters:
  ///   - name: the file's name, for messages.
  ///   - maxSamples: the most samples (frames × channels) to decode; a file claiming more is refused
  ///     rather than allocated (headers can lie).
  /// - Throws: `AudioError` with libsndfile's reason, or saying that libsndfile is not installed.
  public static func decode(_ bytes: [UInt8], name: String, maxSamples: Int = 1 << 31) throws -> AudioSignal {
    try SndFileLibrary.require(for: "reading \(name)")
    let stream = MemoryStream(bytes: bytes)
    var info = SF_INFO()
    var io = MemoryStream.virtualIO
    guard let file = withExtendedLifetime(stream, { c1d_sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(stream).toOpaque()) }) else {
      throw AudioError(description: "\(name): not a readable audio file (libsndfile: \(String(cString: c1d_sf_strerror(nil))))")
    }
    // The callbacks reach `stream` through an unretained pointer: keep it alive until the file is closed.
    defer { withExtendedLifetime(stream) { _ = c1d_sf_close(file) } }
    let channels = Int(info.channels)
    guard channels >= 1, info.samplerate >= 1 else {
      throw AudioError(description: "\(name): audio header declares \(channels) channels at \(info.samplerate) Hz")
    }
    let interleaved = try readFrames(file, channels: channels, name: name, maxSamples: maxSamples, stream: stream)
    let frames = interleaved.count / channels
    return AudioSignal(
      channels: channels, frames: frames, sampleRate: Int(info.samplerate), format: describe(format: info.format),
      values: deinterleave(interleaved, channels: channels))
  }

  /// Reads every frame in blocks, never trusting the header's frame count for an allocation.
  private static func readFrames(_ file: OpaquePointer, channels: Int, name: String, maxSamples: Int, stream: MemoryStream) throws -> [Float] {
    let blockFrames = 4096
    var block = [Float](repeating: 0, count: blockFrames * channels)
    var samples: [Float] = []
    while true {
      let read = withExtendedLifetime(stream) { Int(c1d_sf_readf_float(file, &block, sf_count_t(blockFrames))) }
      if read <= 0 { break }
      guard samples.count + read * channels <= maxSamples else {
        throw AudioError(description: "\(name): more than \(maxSamples) samples; the most convrun reads from one audio file")
      }
      samples += block[0..<read * channels]
    }
    let error = c1d_sf_error(file)
    guard error == 0 else {
      throw AudioError(description: "\(name): audio data unreadable after \(samples.count / channels) frames (libsndfile: \(String(cString: c1d_sf_error_number(error))))")
    }
    return samples
  }

  static func deinterleave(_ interleaved: [Float], channels: Int) -> [Float] {
    guard channels > 1 else { return interleaved }
    let frames = interleaved.count / channels
    var planar = [Float](repeating: 0, count: interleaved.count)
    for frame in 0..<frames {
      for channel in 0..<channels { planar[channel * frames + frame] = interleaved[frame * channels + channel] }
    }
    return planar
  }

  static func describe(format: Int32) -> String {
    let containers: [Int32: String] = [
      Int32(SF_FORMAT_WAV): "WAV", Int32(SF_FORMAT_WAVEX): "WAV", Int32(SF_FORMAT_RF64): "RF64",
      Int32(SF_FORMAT_AIFF): "AIFF", Int32(SF_FORMAT_FLAC): "FLAC", Int32(SF_FORMAT_OGG): "Ogg",
      Int32(SF_FORMAT_MPEG): "MP3",
    ]
    let encodings: [Int32: String] = [
      Int32(SF_FORMAT_PCM_U8): "PCM 8-bit", Int32(SF_FORMAT_PCM_S8): "PCM 8-bit", Int32(SF_FORMAT_PCM_16): "PCM 16-bit",
      Int32(SF_FORMAT_PCM_24): "PCM 24-bit", Int32(SF_FORMAT_PCM_32): "PCM 32-bit", Int32(SF_FORMAT_FLOAT): "float32",
      Int32(SF_FORMAT_DOUBLE): "float64", Int32(SF_FORMAT_VORBIS): "Vorbis", Int32(SF_FORMAT_OPUS): "Opus",
    ]
    let container = containers[format & Int32(SF_FORMAT_TYPEMASK)] ?? "audio"
    return [container, encodings[format & Int32(SF_FORMAT_SUBMASK)]].compactMap { $0 }.joined(separator: " ")
  }

  /// Encodes `(channels, frames)` channel-major samples as a 32-bit float WAV file, in memory.
  /// - Throws: `AudioError` when libsndfile refuses the combination (e.g. too many channels).
  public static func encodeFloatWAV(_ values: [Float], channels: Int, sampleRate: Int) throws -> [UInt8] {
    try encode(values, channels: channels, sampleRate: sampleRate, format: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT))
  }

  /// Encodes channel-major samples in any libsndfile format (`SF_FORMAT_*` container | encoding); the
  /// tests make FLAC, Ogg and MP3 files with it.
  static func encode(_ values: [Float], channels: Int, sampleRate: Int, format: Int32) throws -> [UInt8] {
    guard channels >= 1, values.count % channels == 0 else {
      throw AudioError(description: "cannot write \(values.count) samples as \(channels) channel\(channels == 1 ? "" : "s")")
    }
    try SndFileLibrary.require(for: "writing \(describe(format: format)) audio")
    let frames = values.count / channels
    var interleaved = [Float](repeating: 0, count: values.count)
    for channel in 0..<channels {
      for frame in 0..<frames { interleaved[frame * channels + channel] = values[channel * frames + frame] }
    }
    let stream = MemoryStream(bytes: [])
    var info = SF_INFO(frames: 0, samplerate: Int32(clamping: sampleRate), channels: Int32(clamping: channels), format: format, sections: 0, seekable: 0)
    var io = MemoryStream.virtualIO
    return try withExtendedLifetime(stream) {
      guard let file = c1d_sf_open_virtual(&io, Int32(SFM_WRITE), &info, Unmanaged.passUnretained(stream).toOpaque()) else {
        throw AudioError(description: "cannot write \(describe(format: format)) audio of \(channels) channels at \(sampleRate) Hz (libsndfile: \(String(cString: c1d_sf_strerror(nil))))")
      }
      let written = Int(c1d_sf_writef_float(file, interleaved, sf_count_t(frames)))
      let closed = c1d_sf_close(file)
      guard written == frames, closed == 0 else {
        throw AudioError(description: "writing the WAV data failed after \(written) of \(frames) frames")
      }
      return stream.bytes
    }
  }
}

/// A growable byte buffer behind libsndfile's virtual I/O callbacks (which receive it as `user_data`).
final class MemoryStream {
  var bytes: [UInt8]
  var position = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  static func from(_ pointer: UnsafeMutableRawPointer?) -> MemoryStream {
    Unmanaged<MemoryStream>.fromOpaque(pointer!).takeUnretainedValue()
  }

  static let virtualIO = SF_VIRTUAL_IO(
    get_filelen: { sf_count_t(MemoryStream.from($0).bytes.count) },
    seek: { offset, whence, user in
      let stream = MemoryStream.from(user)
      let base = whence == SEEK_CUR ? stream.position : whence == SEEK_END ? stream.bytes.count : 0
      let (target, overflow) = base.addingReportingOverflow(Int(offset))
      guard !overflow, target >= 0 else { return -1 }
      stream.position = target
      return sf_count_t(target)
    },
    read: { pointer, count, user in
      let stream = MemoryStream.from(user)
      let available = max(0, min(Int(count), stream.bytes.count - stream.position))
      guard available > 0, let pointer else { return 0 }
      stream.bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress! + stream.position, byteCount: available) }
      stream.position += available
      return sf_count_t(available)
    },
    write: { pointer, count, user in
      let stream = MemoryStream.from(user)
      guard let pointer, count > 0 else { return 0 }
      let end = stream.position + Int(count)
      if end > stream.bytes.count { stream.bytes += [UInt8](repeating: 0, count: end - stream.bytes.count) }
      stream.bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: stream.position).copyMemory(from: pointer, byteCount: Int(count)) }
      stream.position = end
      return count
    },
    tell: { sf_count_t(MemoryStream.from($0).position) }
  )
}
