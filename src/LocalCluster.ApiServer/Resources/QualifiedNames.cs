using System.Text.RegularExpressions;

namespace Vers.LocalCluster.ApiServer.Resources;

/// <summary>
/// The name checks of staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go (<c>IsQualifiedName</c>,
/// <c>IsDNS1123Subdomain</c>) with their exact messages.
/// </summary>
internal static partial class QualifiedNames
{
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string Dns1123SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    public const string Dns1123SubdomainError = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    /// <summary><c>RegexError</c>: the message, its examples and the regular expression.</summary>
    public static string RegexError(string message, string fmt, params string[] examples) =>
        examples.Length == 0
            ? $"{message} (regex used for validation is '{fmt}')"
            : $"{message} (e.g. {string.Join(" or ", examples.Select(e => $"'{e}', "))}regex used for validation is '{fmt}')";

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253)
        {
            errors.Add("must be no more than 253 characters");
        }

        if (!Dns1123Subdomain().IsMatch(value))
        {
            errors.Add(RegexError(Dns1123SubdomainError, Dns1123SubdomainFmt, "example.com"));
        }

        return errors;
    }

    public static List<string> IsQualifiedName(string value)
    {
        const string message = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a qualified name " + RegexError(message, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                                               + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (name.Length > 63)
        {
            errors.Add("name part must be no more than 63 characters");
        }

        if (!QualifiedName().IsMatch(name))
        {
            errors.Add("name part " + RegexError(message, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^" + QualifiedNameFmt + "$")]
    private static partial Regex QualifiedName();
}
