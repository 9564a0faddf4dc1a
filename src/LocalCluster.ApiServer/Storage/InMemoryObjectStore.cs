namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// What the API server serves: every object by bucket, in etcd key order, and the revision of the last write. Not
/// thread-safe: <see cref="ResourceStore"/> guards it (one writer at a time; readers under its view lock).
/// </summary>
internal sealed class InMemoryObjectStore
{
    private readonly Dictionary<string, SortedDictionary<(string Ns, string Name), StoredObject>> _buckets = new(StringComparer.Ordinal);

    /// <summary>The last committed revision (etcd revision semantics).</summary>
    public long Revision { get; set; }

    /// <summary>How many objects are stored.</summary>
    public int Count => _buckets.Values.Sum(b => b.Count);

    public IEnumerable<string> Buckets => _buckets.Keys;

    public StoredObject? Get(string bucket, string ns, string name) =>
        _buckets.TryGetValue(bucket, out var b) && b.TryGetValue((ns, name), out var o) ? o : null;

    public IEnumerable<StoredObject> List(string bucket, string? ns)
    {
        if (!_buckets.TryGetValue(bucket, out var b))
        {
            return [];
        }

        return ns is null ? b.Values : b.Where(kv => kv.Key.Ns == ns).Select(kv => kv.Value);
    }

    public void Put(string bucket, string ns, string name, StoredObject obj)
    {
        if (!_buckets.TryGetValue(bucket, out var b))
        {
            b = new SortedDictionary<(string, string), StoredObject>(KeyComparer.Instance);
            _buckets[bucket] = b;
        }

        b[(ns, name)] = obj;
    }

    public bool Remove(string bucket, string ns, string name) =>
        _buckets.TryGetValue(bucket, out var b) && b.Remove((ns, name));

    /// <summary>
    /// The order of etcd keys <c>{namespace}/{name}</c> (byte order, as etcd3 store.go GetList and the watch cache's
    /// filterPrefixAndOrder return lists), without building the key: namespace "a-b" sorts before "a" because '-'
    /// is below '/'. Continue tokens name a key, so pages follow this order.
    /// </summary>
    internal sealed class KeyComparer : IComparer<(string Ns, string Name)>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare((string Ns, string Name) x, (string Ns, string Name) y)
        {
            if (string.Equals(x.Ns, y.Ns, StringComparison.Ordinal))
            {
                return string.CompareOrdinal(x.Name, y.Name);
            }

            var common = Math.Min(x.Ns.Length, y.Ns.Length);
            for (var i = 0; i < common; i++)
            {
                if (x.Ns[i] != y.Ns[i])
                {
                    return x.Ns[i].CompareTo(y.Ns[i]);
                }
            }

            // One namespace is a prefix of the other: the shorter one's '/' meets the longer one's next character.
            var c = x.Ns.Length < y.Ns.Length ? '/'.CompareTo(y.Ns[common]) : x.Ns[common].CompareTo('/');
            return c != 0 ? c : x.Ns.Length.CompareTo(y.Ns.Length);
        }
    }
}
