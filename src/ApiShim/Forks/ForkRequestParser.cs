using System.Text.Json;
using Vers.Operator.Entities;

namespace Vers.ApiShim.Forks;

/// <summary>
/// Parses and validates a fork request body by hand, so every mistake gets a message that names the
/// field and says what is wrong (model binding would answer a generic 400 or, worse, a 500).
/// Unknown fields are ignored, as clients of a growing API expect.
/// </summary>
public static class ForkRequestParser
{
    public static (ForkRepositoryRequest? Request, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return (null, $"request body is not valid JSON: {e.Message}");
        }

        using (document)
        {
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

        // Org names are namespace label values: at most 63 characters.
        var maxLength = field == "source_org" ? OrgMaxLength : VersNames.MaxLength;
        return IsName(text, maxLength)
            ? (text, null)
            : (null, $"{field} must be 1-{maxLength} characters of letters, digits, '-', '_' or '.'");
    }

    public const int OrgMaxLength = 63;

    /// <summary>
    /// 1..max of [A-Za-z0-9._-], checked by character: the regex's '$' would also accept a trailing newline.
    /// </summary>
    public static bool IsName(string text, int maxLength = VersNames.MaxLength) =>
        text.Length >= 1 && text.Length <= maxLength && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

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
