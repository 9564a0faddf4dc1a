using System.Runtime.InteropServices;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// Compresses stored objects' JSON that is no longer hot, with one zstd dictionary per bucket, trained on the bucket's
/// own objects. Objects of one kind share most of their bytes (keys, managedFields, labels, the spec's shape), which a
/// general-purpose compressor cannot see in a 2 KB document on its own: with a 16 KB dictionary the fork mix's objects
/// pack to about a tenth of their size (plain zstd: less than half), for ~8 µs to pack and ~3 µs to unpack one.
/// Not thread-safe for packing (the store packs from one thread at a time); unpacking is safe from any thread.
/// </summary>
internal sealed class JsonPacker
{
    /// <summary>A bucket's dictionary is trained once it has given this many objects.</summary>
    internal const int Samples = 128;

    private const int DictionaryCapacity = 16 * 1024;

    /// <summary>Fast, and within a few percent of the best ratio for dictionary compression of small documents.</summary>
    private const int Level = 1;

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly NativeHandle _cctx = NativeHandle.CCtx();

    /// <summary>Bytes of JSON packed so far, and what they packed to (for tests and diagnostics).</summary>
    public (long Raw, long Packed) Totals { get; private set; }

    /// <summary>The packed form of <paramref name="json"/>, an object of <paramref name="bucket"/>.</summary>
    public unsafe PackedJson Pack(string bucket, byte[] json)
    {
        var dictionary = DictionaryFor(bucket, json);
        var frame = GC.AllocateUninitializedArray<byte>((int)Methods.ZSTD_compressBound((nuint)json.Length));
        nuint size;
        fixed (byte* src = json)
        fixed (byte* dst = frame)
        {
            var cctx = (ZSTD_CCtx_s*)_cctx.Pointer;
            // No checksum (memory is not a channel), no dictionary id (the packed object names its dictionary), and no
            // content size (PackedJson keeps it): the frame is only what unpacking needs.
            var plain = new ZSTD_frameParameters { contentSizeFlag = 0, checksumFlag = 0, noDictIDFlag = 1 };
            size = dictionary is null
                ? Methods.ZSTD_compressCCtx(cctx, dst, (nuint)frame.Length, src, (nuint)json.Length, Level)
                : Methods.ZSTD_compress_usingCDict_advanced(cctx, dst, (nuint)frame.Length, src, (nuint)json.Length, (ZSTD_CDict_s*)dictionary.Compress.Pointer, plain);
        }

        GC.KeepAlive(dictionary);
        ThrowIfError(size);
        Totals = (Totals.Raw + json.Length, Totals.Packed + (long)size);
        return new PackedJson(frame.AsSpan(0, (int)size).ToArray(), json.Length, dictionary);
    }

    /// <summary>The bucket's dictionary, training it when enough objects have been seen; null until then (plain zstd).</summary>
    private PackingDictionary? DictionaryFor(string bucket, byte[] json)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
        {
            state = new Bucket();
            _buckets[bucket] = state;
        }

        if (state.Dictionary is not null || state.SampleList is null)
        {
            return state.Dictionary;
        }

        state.SampleList.Add(json);
        if (state.SampleList.Count < Samples)
        {
            return null;
        }

        try
        {
            state.Dictionary = PackingDictionary.Create(DictBuilder.TrainFromBuffer(state.SampleList, DictionaryCapacity));
        }
        catch (ZstdException)
        {
            // Samples too alike or too few bytes to learn from: this bucket packs without a dictionary.
        }

        state.SampleList = null;
        return state.Dictionary;
    }

    internal static void ThrowIfError(nuint code)
    {
        if (Methods.ZSTD_isError(code))
        {
            throw new InvalidOperationException($"zstd: {Methods.ZSTD_getErrorName(code)}");
        }
    }

    private sealed class Bucket
    {
        public List<byte[]>? SampleList { get; set; } = [];

        public PackingDictionary? Dictionary { get; set; }
    }
}

/// <summary>A bucket's trained dictionary, prepared once for packing and once for unpacking (shared by every thread).</summary>
internal sealed class PackingDictionary
{
    private PackingDictionary(NativeHandle compress, NativeHandle decompress)
    {
        Compress = compress;
        Decompress = decompress;
    }

    public NativeHandle Compress { get; }

    public NativeHandle Decompress { get; }

    public static unsafe PackingDictionary Create(byte[] dictionary)
    {
        fixed (byte* d = dictionary)
        {
            // Parameters for small inputs: the tables are sized for a few KB, not for zstd's unknown-size default (MBs).
            var parameters = Methods.ZSTD_getCParams(1, 4096, (nuint)dictionary.Length);
            var cdict = Methods.ZSTD_createCDict_advanced(d, (nuint)dictionary.Length, ZSTD_dictLoadMethod_e.ZSTD_dlm_byCopy,
                ZSTD_dictContentType_e.ZSTD_dct_auto, parameters, default);
            var ddict = Methods.ZSTD_createDDict(d, (nuint)dictionary.Length);
            return new PackingDictionary(new NativeHandle((nint)cdict, NativeKind.CDict), new NativeHandle((nint)ddict, NativeKind.DDict));
        }
    }
}

/// <summary>
/// JSON packed by <see cref="JsonPacker"/>: the zstd frame, the JSON's length and the dictionary it was packed with
/// (which it keeps alive).
/// </summary>
internal sealed class PackedJson(byte[] frame, int length, PackingDictionary? dictionary)
{
    [ThreadStatic]
    private static NativeHandle? t_dctx;

    public int Length => length;

    public int PackedLength => frame.Length;

    public unsafe byte[] Unpack()
    {
        var json = GC.AllocateUninitializedArray<byte>(length);
        var dctx = (ZSTD_DCtx_s*)(t_dctx ??= NativeHandle.DCtx()).Pointer;
        nuint size;
        fixed (byte* src = frame)
        fixed (byte* dst = json)
        {
            size = dictionary is null
                ? Methods.ZSTD_decompressDCtx(dctx, dst, (nuint)length, src, (nuint)frame.Length)
                : Methods.ZSTD_decompress_usingDDict(dctx, dst, (nuint)length, src, (nuint)frame.Length, (ZSTD_DDict_s*)dictionary.Decompress.Pointer);
        }

        JsonPacker.ThrowIfError(size);
        GC.KeepAlive(dictionary);
        return (int)size == length ? json : throw new InvalidOperationException($"zstd: unpacked {size} bytes, expected {length}");
    }
}

internal enum NativeKind
{
    CCtx,
    DCtx,
    CDict,
    DDict,
}

/// <summary>A zstd context or dictionary, freed when nothing references it any more.</summary>
internal sealed unsafe class NativeHandle : SafeHandle
{
    private readonly NativeKind _kind;

    public NativeHandle(nint pointer, NativeKind kind)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _kind = kind;
        SetHandle(pointer == 0 ? throw new InvalidOperationException($"zstd could not allocate a {kind}") : pointer);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public void* Pointer => (void*)handle;

    public static NativeHandle CCtx() => new((nint)Methods.ZSTD_createCCtx(), NativeKind.CCtx);

    public static NativeHandle DCtx() => new((nint)Methods.ZSTD_createDCtx(), NativeKind.DCtx);

    protected override bool ReleaseHandle()
    {
        _ = _kind switch
        {
            NativeKind.CCtx => Methods.ZSTD_freeCCtx((ZSTD_CCtx_s*)handle),
            NativeKind.DCtx => Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)handle),
            NativeKind.CDict => Methods.ZSTD_freeCDict((ZSTD_CDict_s*)handle),
            _ => Methods.ZSTD_freeDDict((ZSTD_DDict_s*)handle),
        };
        return true;
    }
}
