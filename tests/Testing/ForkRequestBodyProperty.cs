using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace Vers.Testing;

/// <summary>
/// The fork API's request-body property (shared by tests/ApiShim.Tests at the everyday count and
/// tests/Reliability.Tests at ≥ 1,000 cases): random bodies never yield a 500; every invalid body is
/// refused with 400 and the error body without creating anything; valid bodies get a fork outcome. An
/// independent model of the contract decides what is valid.
/// </summary>
public static class ForkRequestBodyProperty
{
    /// <summary>An answer of the fork API: status, parsed JSON body (null when not JSON) and raw text.</summary>
    public sealed record Answer(int Status, JsonNode? Body, string Text);

    private static readonly string[] Fields = ["source_org", "source_repo", "source_tag", "repo_name", "tag_name"];

    private static readonly Gen<string> AnyText = Gen.Char.Array[0, 80].Select(chars => new string(chars));

    private static readonly Gen<string> NameLike = Gen.OneOf(
        Gen.Char["abcXYZ019._-"].Array[1, 66].Select(chars => new string(chars)),
        Gen.OneOf(Gen.Const("node"), Gen.Const("latest"), Gen.Const("vers"), Gen.Const("a:b"), Gen.Const("node\n"), Gen.Const(" node"), Gen.Const("nöde"), Gen.Const(""), Gen.Const("."), Gen.Const("..")));

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Gen.Const(() => (JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
        AnyText.Select(s => (JsonNode?)JsonValue.Create(s)),
        NameLike.Select(s => (JsonNode?)JsonValue.Create(s)));

    private static readonly Gen<JsonNode?> AnyJson = Gen.Recursive<JsonNode?>((depth, inner) => depth >= 3
        ? Scalar
        : Gen.Frequency(
            (4, Scalar),
            (1, inner.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()))),
            (1, Gen.Select(AnyText.Array[0, 4], inner.Array[4], (keys, values) => (JsonNode?)ObjectOf(keys.Zip(values))))));

    /// <summary>A field of a fork request: absent, or any JSON value, biased towards plausible names.</summary>
    private static readonly Gen<(bool Present, JsonNode? Value)> FieldValue = Gen.Frequency(
        (1, Gen.Const((false, (JsonNode?)null))),
        (4, NameLike.Select(s => (true, (JsonNode?)JsonValue.Create(s)))),
        (1, AnyJson.Select(v => (true, v))));

    private static readonly Gen<string> RequestLike = Gen.Select(FieldValue.Array[5], Gen.Select(AnyText, AnyJson).Array[0, 3], (fields, extras) =>
    {
        var body = new JsonObject();
        foreach (var (field, (present, value)) in Fields.Zip(fields))
        {
            if (present)
            {
                body[field] = value?.DeepClone();
            }
        }

        foreach (var (key, value) in extras.Where(e => !Fields.Contains(e.Item1)))
        {
            body[key] = value?.DeepClone();
        }

        return body.ToJsonString();
    });

    /// <summary>Request bodies: mostly request-shaped objects, also any JSON, any text and truncated JSON.</summary>
    public static readonly Gen<string> Body = Gen.Frequency(
        (6, RequestLike),
        (2, AnyJson.Select(v => v?.ToJsonString() ?? "null")),
        (1, AnyText),
        (1, RequestLike.Select(s => s[..(s.Length / 2)])));

    private static JsonObject ObjectOf(IEnumerable<(string Key, JsonNode? Value)> pairs)
    {
        var o = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            o[key] = value?.DeepClone();
        }

        return o;
    }

    /// <summary>The contract, written independently of the parser: required names, optional names or null, nothing else checked.</summary>
    public static bool IsValid(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return false;
        }

        if (root is not JsonObject o)
        {
            return false;
        }

        // "." and ".." fit the character rule but are refused: as a path segment they cannot be read back.
        static bool IsName(JsonNode? value, int max) =>
            value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.TryGetValue<string>(out var s)
            && s.Length is >= 1 && s.Length <= max && s.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-')
            && s is not ("." or "..");

        return IsName(o["source_org"], 63) && IsName(o["source_repo"], 64) && IsName(o["source_tag"], 64)
            && (o["repo_name"] is null || IsName(o["repo_name"], 64))
            && (o["tag_name"] is null || IsName(o["tag_name"], 64));
    }

    /// <summary>
    /// Checks the property on <paramref name="cases"/> random bodies, one at a time. <paramref name="post"/> sends a
    /// body to the fork API; <paramref name="countObjects"/> counts what exists in the caller's org (compared
    /// before and after each refused body). Answers how many valid and invalid bodies were tried.
    /// </summary>
    public static async Task<(long Valid, long Invalid)> CheckAsync(
        Func<string, Task<Answer>> post, Func<Task<long>> countObjects, long cases)
    {
        long valid = 0, invalid = 0;
        await Body.SampleAsync(
            async body =>
            {
                var before = await countObjects();
                var answer = await post(body);
                var after = await countObjects();

                Assert.True(answer.Status != 500, $"answered 500 for {body}: {answer.Text}");
                Assert.False((bool?)(answer.Body as JsonObject)?["success"] ?? false);
                if (IsValid(body))
                {
                    Interlocked.Increment(ref valid);
                    Assert.Contains(answer.Status, new[] { 201, 404, 409 });
                }
                else
                {
                    Interlocked.Increment(ref invalid);
                    Assert.True(answer.Status == 400, $"invalid body answered {answer.Status}: {answer.Text}");
                    Assert.IsType<string>((string?)(answer.Body as JsonObject)?["error"]);
                    Assert.Equal(before, after);
                }
            },
            iter: cases,
            threads: 1,
            print: body => body);

        Assert.Equal(cases, valid + invalid);
        Assert.True(valid > 0 && invalid > 0, $"both kinds were generated: {valid} valid, {invalid} invalid");
        return (valid, invalid);
    }
}
