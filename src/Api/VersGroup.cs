namespace Vers.Api;

/// <summary>Names shared by every vers.sh kind.</summary>
public static class VersGroup
{
    public const string Group = "vers.sh";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
    public const string Category = "vers";

    /// <summary>Namespaces carrying this label are organisations; its value is the org name.</summary>
    public const string OrgLabel = "vers.sh/org";

    /// <summary>On objects a fork creates: the uid of the RepositoryFork that owns the work.</summary>
    public const string ForkUidLabel = "vers.sh/fork-uid";

    /// <summary>On the Repository a fork claims: the uid of that fork (a retry finds its own claim).</summary>
    public const string ClaimedByAnnotation = "vers.sh/claimed-by";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "vers-operator";
}
