using System.Text.RegularExpressions;

namespace Vers.Api;

/// <summary>
/// Kubernetes' naming rules as the operator and the API shim check names before they reach an API server
/// (apimachinery's <c>validation.IsDNS1123Label</c> and <c>IsValidLabelValue</c>). The one implementation outside the
/// embedded API server, which keeps its own (<c>src/LocalCluster.ApiServer</c> references no Vers assembly).
/// </summary>
public static partial class KubernetesNames
{
    /// <summary>The longest DNS label or label value.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// Whether <paramref name="name"/> is a lowercase RFC 1123 label: 1-63 of lowercase letters, digits and '-', starting
    /// and ending with a letter or digit (namespace names, and most object names Vers makes).
    /// </summary>
    public static bool IsDnsLabel(string? name) => name is { Length: > 0 and <= MaxLabelLength } && DnsLabel().IsMatch(name);

    /// <summary>
    /// Whether <paramref name="value"/> is a label value: empty, or 1-63 of letters, digits, '-', '_' and '.', starting
    /// and ending with a letter or digit.
    /// </summary>
    public static bool IsLabelValue(string? value) => value is { Length: <= MaxLabelLength } && (value.Length == 0 || LabelValue().IsMatch(value));

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\\z")]
    private static partial Regex LabelValue();
}
