namespace Vers.LocalCluster.Api.Storage;

internal sealed class InMemoryObjectStore : IObjectStore
{
    private readonly Dictionary<string, SortedDictionary<(string Ns, string Name), StoredObject>> _buckets = new(StringComparer.Ordinal);
    private long _revision;

    public long Revision => _revision;

    public long NextRevision() => ++_revision;

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

    private sealed class KeyComparer : IComparer<(string Ns, string Name)>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare((string Ns, string Name) x, (string Ns, string Name) y)
        {
            var c = string.CompareOrdinal(x.Ns, y.Ns);
            return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
        }
    }
}
