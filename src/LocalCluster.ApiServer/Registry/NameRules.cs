using System.Text.RegularExpressions;
using Vers.LocalCluster.ApiServer.Http;

namespace Vers.LocalCluster.ApiServer.Registry;

/// <summary>
/// The name rules of staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go (IsDNS1123Subdomain,
/// IsDNS1123Label, IsDNS1035Label) and api/validation/path (ValidatePathSegmentName), with their messages.
/// </summary>
internal static partial class NameRules
{
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    public static IEnumerable<FieldError> Subdomain(string value, string path) =>
        value.Length > 253 ? [Invalid(path, value, "must be no more than 253 characters")]
        : SubdomainPattern().IsMatch(value) ? []
        : [Invalid(path, value, SubdomainMessage)];

    public static IEnumerable<FieldError> Label(string value, string path) =>
        value.Length > 63 ? [Invalid(path, value, "must be no more than 63 characters")]
        : LabelPattern().IsMatch(value) ? []
        : [Invalid(path, value, LabelMessage)];

    public static IEnumerable<FieldError> Dns1035Label(string value, string path) =>
        value.Length > 63 ? [Invalid(path, value, "must be no more than 63 characters")]
        : Dns1035Pattern().IsMatch(value) ? []
        : [Invalid(path, value, Dns1035Message)];

    /// <summary>ValidatePathSegmentName: RBAC objects may be named anything a URL path segment can carry.</summary>
    public static IEnumerable<FieldError> PathSegment(string value, string path)
    {
        if (value is "." or "..")
        {
            yield return Invalid(path, value, $"may not be '{value}'");
            yield break;
        }

        foreach (var illegal in (string[])["/", "%"])
        {
            if (value.Contains(illegal, StringComparison.Ordinal))
            {
                yield return Invalid(path, value, $"may not contain '{illegal}'");
            }
        }
    }

    /// <summary>validation.IsDNS1123Label's messages: every rule the value breaks (for warnings that quote them all).</summary>
    public static IEnumerable<string> Dns1123LabelMessages(string value)
    {
        if (value.Length > 63)
        {
            yield return "must be no more than 63 characters";
        }

        if (!LabelPattern().IsMatch(value))
        {
            yield return LabelMessage;
        }
    }

    private static FieldError Invalid(string path, string value, string detail) => new("FieldValueInvalid", path, detail, $"\"{value}\"");

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainPattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Pattern();
}
