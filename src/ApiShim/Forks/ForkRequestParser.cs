using System.Text.Json;
using System.Text.Unicode;
using Vers.ApiShim.Repositories;
using Vers.Api;

namespace Vers.ApiShim.Forks;

/// <summary>
/// Parses and validates a fork request body by hand, so every mistake gets a message that names the
/// field and says what is wrong, in the API's words rather than the JSON parser's (model binding would
/// answer a generic 400 or, worse, a 500). Unknown fields are ignored, as clients of a growing API expect;
/// a UTF-8 byte order mark is skipped.
/// </summary>
public static class ForkRequestParser
{
    public const int MaxDepth = 32;

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    public static (ForkRepositoryRequest? Request, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith(ByteOrderMark))
        {
            body = body[ByteOrderMark.Length..];
        }

        if (SyntaxProblem(body) is { } syntax)
        {
            return (null, syntax);
        }

        using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return (null, $"request body must be a JSON object, not {Describe(document.RootElement.ValueKind)}");
        }

        var root = document.RootElement;
        var (sourceOrg, e1) = Name(root, "source_org", required: true);
        var (sourceRepo, e2) = Name(root, "source_repo", required: true);
        var (sourceTag, e3) = Name(root, "source_tag", required: true);
        var (repoName, e4) = Name(root, "repo_name", required: false);
        var (tagName, e5) = Name(root, "tag_name", required: false);
        var error = e1 ?? e2 ?? e3 ?? e4 ?? e5;
        return error is not null
            ? (null, error)
            : (new ForkRepositoryRequest(sourceOrg!, sourceRepo!, sourceTag!, repoName, tagName), null);
    }

    /// <summary>
    /// What makes <paramref name="body"/> unreadable as JSON, said in the API's words: empty, not UTF-8, nested too
    /// deep, or a syntax error at a line and column (1-based). Null when it is one well-formed JSON value.
    /// </summary>
    private static string? SyntaxProblem(ReadOnlySpan<byte> body)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return "request body is empty: send a JSON object with source_org, source_repo and source_tag";
        }

        if (!Utf8.IsValid(body))
        {
            return "request body is not valid UTF-8 text";
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth)
                {
                    return $"request body nests deeper than {MaxDepth} levels";
                }
            }
        }
        catch (JsonException e)
        {
            var line = e.LineNumber ?? 0;
            var column = e.BytePositionInLine ?? 0;
            var offset = Offset(body, line, column);
            var end = body.TrimEnd(" \t\r\n"u8).Length;
            // At the end, or at a last ',' or ':' that wants a value after it.
            return offset >= end || (offset == end - 1 && body[(int)offset] is (byte)',' or (byte)':')
                ? "request body is not valid JSON: it ends before the JSON value is complete"
                : $"request body is not valid JSON: syntax error at line {line + 1}, column {column + 1}";
        }

        return null;
    }

    /// <summary>The byte offset of (line, byte in line), both 0-based, as JsonException reports positions.</summary>
    private static long Offset(ReadOnlySpan<byte> body, long line, long byteInLine)
    {
        var start = 0;
        for (var i = 0L; i < line; i++)
        {
            var next = body[start..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return body.Length;
            }

            start += next + 1;
        }

        return start + byteInLine;
    }

    private static (string? Value, string? Error) Name(JsonElement root, string field, bool required)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? (null, $"{field} is required") : (null, null);
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return (null, $"{field} must be a string, not {Describe(value.ValueKind)}");
        }

        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: valid JSON, but not text.
            return (null, $"{field} must be valid Unicode text");
        }

        var problem = VersNames.Problem(field, text, field == "source_org" ? VersNames.OrgMaxLength : VersNames.MaxLength);
        return problem is null ? (text, null) : (null, problem);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "a string",
    };
}
