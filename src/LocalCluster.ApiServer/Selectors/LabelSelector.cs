using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Selectors;

/// <summary>The apimachinery label selector string syntax: <c>a=b,c!=d,e in (f,g),h notin (i),j,!k</c>.</summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var reqs = new List<Requirement>();
        var p = new Parser(text);
        while (true)
        {
            reqs.Add(p.ParseRequirement());
            p.SkipSpaces();
            if (p.AtEnd)
            {
                break;
            }

            p.Expect(',');
        }

        return new LabelSelector(reqs);
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        return Matches(key => labels?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null);
    }

    /// <summary>Matches on the labels extracted at write time, without parsing the object.</summary>
    public bool Matches(Storage.StoredObject obj) => _requirements.Count == 0 || Matches(obj.Label);

    private bool Matches(Func<string, string?> label)
    {
        foreach (var r in _requirements)
        {
            var value = label(r.Key);
            var ok = r.Op switch
            {
                Op.Exists => value is not null,
                Op.DoesNotExist => value is null,
                Op.Equals or Op.In => value is not null && r.Values.Contains(value),
                Op.NotEquals or Op.NotIn => value is null || !r.Values.Contains(value),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;

        public void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        public void Expect(char c)
        {
            SkipSpaces();
            if (AtEnd || text[_pos] != c)
            {
                throw Error($"expected '{c}'");
            }

            _pos++;
        }

        private ApiException Error(string what) =>
            ApiException.BadRequest($"unable to parse requirement: found '{Rest()}', {what}");

        private string Rest() => _pos < text.Length ? text[_pos..] : "";

        private string Identifier()
        {
            SkipSpaces();
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '-' or '_' or '.' or '/'))
            {
                _pos++;
            }

            return text[start.._pos];
        }

        private bool TryKeyword(string word)
        {
            SkipSpaces();
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0
                && (_pos + word.Length == text.Length || char.IsWhiteSpace(text[_pos + word.Length]) || text[_pos + word.Length] == '('))
            {
                _pos += word.Length;
                return true;
            }

            return false;
        }

        public Requirement ParseRequirement()
        {
            SkipSpaces();
            if (!AtEnd && text[_pos] == '!')
            {
                _pos++;
                var k = Identifier();
                ValidateKey(k);
                return new Requirement(k, Op.DoesNotExist, []);
            }

            var key = Identifier();
            ValidateKey(key);
            SkipSpaces();
            if (AtEnd || text[_pos] == ',')
            {
                return new Requirement(key, Op.Exists, []);
            }

            if (text[_pos] == '=')
            {
                _pos += _pos + 1 < text.Length && text[_pos + 1] == '=' ? 2 : 1;
                return new Requirement(key, Op.Equals, [Value()]);
            }

            if (text[_pos] == '!' && _pos + 1 < text.Length && text[_pos + 1] == '=')
            {
                _pos += 2;
                return new Requirement(key, Op.NotEquals, [Value()]);
            }

            if (TryKeyword("notin"))
            {
                return new Requirement(key, Op.NotIn, ValueSet());
            }

            if (TryKeyword("in"))
            {
                return new Requirement(key, Op.In, ValueSet());
            }

            throw Error("expected: '=', '!=', '==', 'in', notin'");
        }

        private string Value()
        {
            var v = Identifier();
            if (v.Contains('/'))
            {
                throw Error("invalid label value");
            }

            return v;
        }

        private List<string> ValueSet()
        {
            Expect('(');
            var values = new List<string>();
            while (true)
            {
                values.Add(Value());
                SkipSpaces();
                if (!AtEnd && text[_pos] == ')')
                {
                    _pos++;
                    return values;
                }

                Expect(',');
            }
        }

        private void ValidateKey(string key)
        {
            if (key.Length == 0)
            {
                throw Error("identifier expected");
            }
        }
    }
}
