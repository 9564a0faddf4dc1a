using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Vers.Kube.Informers;

/// <summary>
/// An informer's secondary indexes: index name → value → keys of the cached objects found under it. Written only by
/// the informer's loop, read by any thread; one lock keeps each index's sets consistent (lookups copy the answer).
/// </summary>
internal sealed class InformerIndexes<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Every informer indexes its objects by namespace, for <c>List(ns)</c>.</summary>
    public const string Namespace = "namespace";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Index> _indexes = new(StringComparer.Ordinal)
    {
        [Namespace] = new Index(obj => obj.Metadata.NamespaceProperty is { } ns ? [ns] : []),
    };

    /// <summary>Adds the index; one that exists with this function is kept, another function under the name is an error.</summary>
    public void Add(string name, Func<T, IEnumerable<string>> keys, ConcurrentDictionary<ObjectKey, T> existing)
    {
        lock (_gate)
        {
            // Users of a shared informer may each add the index they need: one name, one function.
            if (_indexes.TryGetValue(name, out var present))
            {
                if (!present.KeysOf.Equals(keys))
                {
                    throw new InvalidOperationException($"The index {name} already exists with another function: give yours a name of its own");
                }

                return;
            }

            var index = new Index(keys);
            foreach (var (key, obj) in existing)
            {
                index.Insert(key, obj);
            }

            _indexes[name] = index;
        }
    }

    public IReadOnlyCollection<ObjectKey> Keys(string name, string value)
    {
        lock (_gate)
        {
            if (!_indexes.TryGetValue(name, out var index))
            {
                throw new InvalidOperationException($"The index {name} does not exist");
            }

            return index.Entries.TryGetValue(value, out var set) ? [.. set] : [];
        }
    }

    public void Replace(ObjectKey key, T? old, T obj)
    {
        lock (_gate)
        {
            foreach (var index in _indexes.Values)
            {
                if (old is not null)
                {
                    index.Delete(key, old);
                }

                index.Insert(key, obj);
            }
        }
    }

    public void Remove(ObjectKey key, T old)
    {
        lock (_gate)
        {
            foreach (var index in _indexes.Values)
            {
                index.Delete(key, old);
            }
        }
    }

    private sealed class Index(Func<T, IEnumerable<string>> keysOf)
    {
        public Func<T, IEnumerable<string>> KeysOf => keysOf;

        public Dictionary<string, HashSet<ObjectKey>> Entries { get; } = new(StringComparer.Ordinal);

        public void Insert(ObjectKey key, T obj)
        {
            foreach (var value in keysOf(obj))
            {
                if (!Entries.TryGetValue(value, out var set))
                {
                    Entries[value] = set = [];
                }

                set.Add(key);
            }
        }

        public void Delete(ObjectKey key, T obj)
        {
            foreach (var value in keysOf(obj))
            {
                if (Entries.TryGetValue(value, out var set) && set.Remove(key) && set.Count == 0)
                {
                    Entries.Remove(value);
                }
            }
        }
    }
}
