import C1DFuzzTargets
import CSndFileLoader
import Foundation
import Testing

@testable import C1D
@testable import ConvRunAudio

/// The CLI's audio path (libsndfile through memory): what a file becomes, and what is refused.
@Suite("Audio files")
struct AudioFileTests {
  /// One second of a 440 Hz tone on channel 0 and half its amplitude on channel 1, channel-major.
  static func tone(channels: Int, frames: Int = 8000, rate: Int = 8000) -> [Float] {
    (0..<channels).flatMap { channel in
      (0..<frames).map { Float(sin(2 * Double.pi * 440 * Double($0) / Double(rate)) * 0.5 / Double(channel + 1)) }
    }
  }

  /// A canonical 44-byte-header mono WAV of 16-bit samples, written by hand (not by the code under test).
  static func pcm16WAV(_ samples: [Int16], rate: Int) -> [UInt8] {
    func le(_ value: Int, _ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    let data = samples.flatMap { le(Int($0), 2) }
    return Array("RIFF".utf8) + le(36 + data.count, 4) + Array("WAVEfmt ".utf8) + le(16, 4) + le(1, 2) + le(1, 2)
      + le(rate, 4) + le(rate * 2, 4) + le(2, 2) + le(16, 2) + Array("data".utf8) + le(data.count, 4) + data
  }

  @Test("16-bit PCM WAV is scaled as libsndfile scales it (int16 / 32768)")
  func pcm16Scaling() throws {
    let samples: [Int16] = [16384, -16384, 8192, -32768, 0, 32767]
    let bytes = Self.pcm16WAV(samples, rate: 16000)
    #expect(AudioFile.looksLikeAudio(bytes))
    let signal = try AudioFile.decode(bytes, name: "pcm16.wav")
    #expect(signal.channels == 1 && signal.sampleRate == 16000 && signal.frames == 6)
    #expect(signal.values == samples.map { Float($0) / 32768 })
    #expect(signal.format == "WAV PCM 16-bit")
  }

  @Test("stereo float WAV round-trips exactly, channel-major as (1, 2, frames)")
  func stereoFloatRoundTrip() throws {
    let values = Self.tone(channels: 2)
    let bytes = try AudioFile.encodeFloatWAV(values, channels: 2, sampleRate: 8000)
    let signal = try AudioFile.decode(bytes, name: "stereo.wav")
    #expect(signal.values == values)
    #expect(try signal.tensor().shape == [1, 2, 8000])
  }

  @Test("FLAC, Ogg/Vorbis and MP3 decode to the right shape and rate", arguments: [
    (Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), "fLaC", 1e-4),
    (Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS), "OggS", 0.1),
    (Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III), "", 0.2),
  ])
  func compressedFormats(format: Int32, magic: String, tolerance: Double) throws {
    let values = Self.tone(channels: 1, frames: 16000, rate: 16000)
    let bytes: [UInt8]
    do {
      bytes = try AudioFile.encode(values, channels: 1, sampleRate: 16000, format: format)
    } catch {
      // libsndfile built without this encoder: nothing to decode then.
      return
    }
    #expect(AudioFile.looksLikeAudio(bytes), "\(Array(bytes.prefix(4)))")
    if !magic.isEmpty { #expect(bytes.starts(with: Array(magic.utf8))) }
    let signal = try AudioFile.decode(bytes, name: "tone")
    #expect(signal.channels == 1 && signal.sampleRate == 16000)
    // Lossy codecs pad or trim a few frames at the ends.
    #expect(abs(signal.frames - 16000) < 2048, "\(signal.frames) frames")
    let energy = signal.values.reduce(0) { $0 + Double($1 * $1) } / Double(max(signal.frames, 1))
    #expect(abs(energy - 0.125) < tolerance, "mean square \(energy)")
  }

  @Test("content decides: audio magic is recognised, .npy and float32 data are not")
  func recognitionByContent() {
    for magic in ["RIFF\u{0}\u{0}\u{0}\u{0}WAVE", "fLaC", "OggS", "ID3\u{3}", "FORM\u{0}\u{0}\u{0}\u{0}AIFF"] {
      #expect(AudioFile.looksLikeAudio(Array(magic.utf8) + [0, 0, 0, 0]), "\(magic)")
    }
    #expect(!AudioFile.looksLikeAudio([0x93] + Array("NUMPY".utf8)))
    let floats: [Float] = [0.25, -1, 3, 1e-3]
    #expect(!AudioFile.looksLikeAudio(floats.withUnsafeBytes { Array($0) }))
    #expect(!AudioFile.looksLikeAudio(Array("RIFF".utf8)))
  }

  @Test("a truncated or corrupt audio file is a typed error, never a crash")
  func corruptFilesAreRefused() throws {
    let bytes = try AudioFile.encode(Self.tone(channels: 1), channels: 1, sampleRate: 8000, format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16))
    #expect(throws: AudioError.self) { try AudioFile.decode(Array(bytes.prefix(20)), name: "short.wav") }
    #expect(throws: AudioError.self) { try AudioFile.decode(Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEjunk".utf8), name: "junk.wav") }
    #expect(throws: AudioError.self) { try AudioFile.decode(bytes, name: "big.wav", maxSamples: 100) }
  }

  // Hidden files (.gitkeep) are not inputs.
  static let seedFiles = Fixtures.subdirectories("audio").filter { !$0.hasPrefix(".") }
  static let fuzzCrashes = Fixtures.subdirectories("malformed/fuzz/audio").filter { !$0.hasPrefix(".") }

  @Test("every audio seed (tools/gen_audio_seeds.py) is recognised, decodes, and passes the fuzz target", arguments: seedFiles)
  func seeds(_ name: String) throws {
    let bytes = try Files.read(Fixtures.path("audio/\(name)"))
    #expect(AudioFile.looksLikeAudio(bytes))
    let signal = try AudioFile.decode(bytes, name: name)
    #expect(signal.frames > 1000 && signal.values.allSatisfy { $0.isFinite && abs($0) <= 1 })
    FuzzTargets.run("audio", bytes)
  }

  @Test("seeds cover WAV, FLAC, Ogg, MP3 and AIFF")
  func seedsExist() { #expect(Set(Self.seedFiles.map { ($0 as NSString).pathExtension }).isSuperset(of: ["wav", "flac", "ogg", "mp3", "aiff"])) }

  @Test("every saved audio fuzz crash now runs cleanly", arguments: fuzzCrashes)
  func replay(_ name: String) throws {
    FuzzTargets.run("audio", try Files.read(Fixtures.path("malformed/fuzz/audio/\(name)")))
  }
}
