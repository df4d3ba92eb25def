// devopsbot in one resource group: Function App (Flex Consumption), storage, managed identity, Key Vault,
// Application Insights and the Azure Bot with its Teams channel. Deployed by `azd up`; see docs/deployment.md.

targetScope = 'resourceGroup'

@description('azd environment name; with the resource group it seeds the unique suffix of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource but the bot (global). Must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Object id of the person running the deployment (azd sets it); given Key Vault Secrets Officer to set secrets. Empty: none.')
param principalId string = ''

@description('Type of principalId: empty lets Azure look the principal up (a person or a pipeline\'s service principal alike); User, Group or ServicePrincipal only to state it.')
@allowed([
  ''
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = ''

@description('UserAssignedMSI: the app\'s managed identity is the bot, no secret at all. SingleTenant: an app registration (botAppId) whose secret goes in Key Vault as bot-app-password.')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param botAppType string = 'UserAssignedMSI'

@description('Client id of the bot\'s app registration (a GUID); SingleTenant only, empty for UserAssignedMSI.')
param botAppId string = ''

// A wrong app-id/type pair stops the deployment at validation (modules/checks.bicep), not later at the Bot Service.
var botAppIdShaped = length(botAppId) == 36 && length(split(botAppId, '-')) == 5
var botAppPairProblem = botAppType == 'SingleTenant' ? (botAppIdShaped ? '' : 'botAppType SingleTenant needs botAppId, the client id (a GUID) of the bot app registration: azd env set DEVOPSBOT_BOT_APP_ID <client id>') : (empty(botAppId) ? '' : 'botAppType UserAssignedMSI uses the managed identity as the bot, so botAppId must be empty: azd env set DEVOPSBOT_BOT_APP_ID "" (or choose SingleTenant)')

@description('The bot\'s name in Teams.')
param botDisplayName string = 'devopsbot'

@description('Azure Bot pricing tier.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('DEVOPSBOT_TABLE_PREFIX: prefix of every table name.')
param tablePrefix string = 'devopsbot'

@description('DEVOPSBOT_ORGANISATION_FILE: the organisation configuration, relative to the app folder.')
param organisationFile string = 'config/organisation.toml'

@description('DEVOPSBOT_LOG_LEVEL.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('DEVOPSBOT_ALLOWED_TENANTS: comma-separated tenant ids whose Teams activities are accepted; empty means this tenant only.')
param allowedTenants string = ''

@description('DEVOPSBOT_GRAPH_AUTH: empty (thread mode, no Graph), managed_identity (the app\'s identity, no secret) or secret (graphClientId + the graph-client-secret in Key Vault).')
@allowed([
  ''
  'managed_identity'
  'secret'
])
param graphAuth string = ''

@description('Client id of the Graph app registration; graphAuth = secret only.')
param graphClientId string = ''

@description('DEVOPSBOT_TEAMS_APP_ID: the Teams app\'s id in the org app catalog (chat mode installs it in incident chats).')
param teamsAppId string = ''

@description('DEVOPSBOT_MAIL_TRANSPORT: smtp, graph (sendMail as mailFrom; needs graphAuth), or empty for no email.')
@allowed([
  ''
  'smtp'
  'graph'
])
param mailTransport string = ''

@description('The admin team\'s address, mailed by the heartbeat alert when the due-work timer stops (empty: the alert fires in the portal only).')
param adminAlertEmail string = ''

@description('DEVOPSBOT_MAIL_FROM: sender address of devopsbot\'s email.')
param mailFrom string = ''

@description('DEVOPSBOT_SMTP_HOST.')
param smtpHost string = ''

@description('DEVOPSBOT_SMTP_PORT.')
param smtpPort string = '587'

@description('DEVOPSBOT_SMTP_STARTTLS: true to upgrade the connection before authenticating.')
param smtpStartTls string = 'true'

@description('DEVOPSBOT_SMTP_USERNAME; when set, DEVOPSBOT_SMTP_PASSWORD references the smtp-password secret.')
param smtpUsername string = ''

@description('DEVOPSBOT_INBOUND_MAILBOX: the incidents mailbox read through Graph (needs graphAuth); empty: off.')
param inboundMailbox string = ''

@description('DEVOPSBOT_BRIDGE_ORGANIZER: the user (id or UPN) who organises incident meetings, allowed by a Teams application access policy (needs graphAuth and OnlineMeetings.ReadWrite.All); empty: the response plan\'s phone bridge.')
param bridgeOrganizer string = ''

@description('DEVOPSBOT_TRACKER_KIND: where postmortem follow-ups are filed: azure_devops, github, or empty.')
@allowed([
  ''
  'azure_devops'
  'github'
])
param trackerKind string = ''

@description('DEVOPSBOT_TRACKER_URL: https://dev.azure.com/ORG/PROJECT or https://api.github.com/repos/OWNER/REPO.')
param trackerUrl string = ''

@description('Client id of the Entra app registration for signing in to the dashboard. Empty: the dashboard answers 401.')
param dashboardAuthClientId string = ''

@description('Paths App Service Authentication lets through unauthenticated; each checks its own credentials (Bot Framework tokens, signed links, the alert senders\' and the metrics scraper\'s function key) or is public (privacy and terms pages).')
param anonymousPaths array = [
  '/api/messages'
  '/api/health'
  '/api/act'
  '/api/privacy'
  '/api/terms'
  '/api/alerts'
  '/api/metrics'
  '/api/status/'
]

@description('Storage replication: LRS works in every Flex Consumption region; ask for ZRS (or GZRS) only where the region offers availability zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Always-ready instances for the HTTP functions.')
@minValue(0)
param alwaysReadyInstances int = 1

@description('Maximum instances of the Flex Consumption plan.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('true only on the first provision of an environment: the template writes the action-link key to the vault. false (the default) never touches the stored key, so no deployment can replace it, whoever runs it.')
param createActionLinkKey bool = false

@description('The action-link key to create (createActionLinkKey only). azd fills it with secretOrRandomPassword: the stored key if it can read it, else a random value.')
@secure()
param actionLinkKey string

@description('true while the action-link key is rotated: the app also accepts links signed with the action-link-previous-key secret until they expire.')
param actionLinkKeyRotating bool = false

@description('true after `azd down`: recover the soft-deleted Key Vault (same name, its secrets and the action-link key) instead of creating it.')
param keyVaultRecover bool = false

@description('Graph client secret (graphAuth = secret). Prefer setting graph-client-secret in the vault directly.')
@secure()
param graphClientSecret string = ''

@description('SingleTenant bot client secret. Prefer setting bot-app-password in the vault directly.')
@secure()
param botAppPassword string = ''

@description('SMTP password. Prefer setting smtp-password in the vault directly.')
@secure()
param smtpPassword string = ''

@description('Tracker token (trackerKind set). Prefer setting tracker-token in the vault directly.')
@secure()
param trackerToken string = ''

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'devopsbot'
}
var functionAppName = 'func-devopsbot-${resourceToken}'
// The default host name of an app in the public cloud; action links in email point there.
var publicUrl = 'https://${functionAppName}.azurewebsites.net'

module checks 'modules/checks.bicep' = {
  name: 'checks'
  params: {
    // any(): the explanation is not one of the allowed values on purpose; ARM, not the compiler, refuses it.
    botAppPair: any(empty(botAppPairProblem) ? 'ok' : botAppPairProblem)
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: tags
    name: 'id-devopsbot-${resourceToken}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    workspaceName: 'log-devopsbot-${resourceToken}'
    applicationInsightsName: 'appi-devopsbot-${resourceToken}'
  }
}

// The dead-man's switch: Azure Monitor mails the admin team when the timer logs no heartbeat for 5 minutes.
module heartbeat 'modules/heartbeat.bicep' = {
  name: 'heartbeat'
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    adminEmail: adminAlertEmail
    actionGroupName: 'ag-devopsbot-${resourceToken}'
    alertRuleName: 'alert-devopsbot-heartbeat-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: 'app-package-${resourceToken}'
    skuName: storageSku
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    createMode: keyVaultRecover ? 'recover' : 'default'
    createActionLinkKey: createActionLinkKey
    actionLinkKey: actionLinkKey
    graphClientSecret: graphClientSecret
    botAppPassword: botAppPassword
    smtpPassword: smtpPassword
    trackerToken: trackerToken
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    adminPrincipalId: principalId
    adminPrincipalType: principalType
  }
}

var vaultName = keyVault.outputs.name
var botId = botAppType == 'UserAssignedMSI' ? identity.outputs.clientId : botAppId

// Every DEVOPSBOT_ setting named here is listed in devopsbot/settings.py KNOWN_SETTINGS (a test checks it).
// Secrets are Key Vault references, resolved by the Functions platform with the managed identity.
var devopsbotSettings = {
  DEVOPSBOT_STORAGE_ACCOUNT_URL: 'https://${storage.outputs.name}.table.${environment().suffixes.storage}'
  DEVOPSBOT_STORAGE_CLIENT_ID: identity.outputs.clientId
  DEVOPSBOT_TABLE_PREFIX: tablePrefix
  DEVOPSBOT_ORGANISATION_FILE: organisationFile
  DEVOPSBOT_LOG_LEVEL: logLevel
  DEVOPSBOT_BOT_APP_ID: botId
  DEVOPSBOT_BOT_APP_TYPE: botAppType
  DEVOPSBOT_BOT_TENANT_ID: tenant().tenantId
  DEVOPSBOT_BOT_APP_PASSWORD: botAppType == 'SingleTenant' ? '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=bot-app-password)' : ''
  DEVOPSBOT_ALLOWED_TENANTS: allowedTenants
  DEVOPSBOT_GRAPH_AUTH: graphAuth
  DEVOPSBOT_GRAPH_CLIENT_ID: graphAuth == 'managed_identity' ? identity.outputs.clientId : graphClientId
  DEVOPSBOT_GRAPH_TENANT_ID: tenant().tenantId
  DEVOPSBOT_GRAPH_CLIENT_SECRET: graphAuth == 'secret' ? '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=graph-client-secret)' : ''
  DEVOPSBOT_TEAMS_APP_ID: teamsAppId
  DEVOPSBOT_MAIL_TRANSPORT: mailTransport
  DEVOPSBOT_MAIL_FROM: mailFrom
  DEVOPSBOT_SMTP_HOST: smtpHost
  DEVOPSBOT_SMTP_PORT: smtpPort
  DEVOPSBOT_SMTP_STARTTLS: smtpStartTls
  DEVOPSBOT_SMTP_USERNAME: smtpUsername
  DEVOPSBOT_SMTP_PASSWORD: empty(smtpUsername) ? '' : '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=smtp-password)'
  DEVOPSBOT_PUBLIC_URL: publicUrl
  DEVOPSBOT_PAGES_CLIENT_ID: dashboardAuthClientId
  // The app believes App Service Authentication's sign-in header only outside the paths the platform leaves anonymous.
  DEVOPSBOT_ANONYMOUS_PATHS: join(anonymousPaths, ',')
  DEVOPSBOT_ACTION_LINK_KEY: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=action-link-key)'
  DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY: actionLinkKeyRotating ? '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=action-link-previous-key)' : ''
  DEVOPSBOT_INBOUND_MAILBOX: inboundMailbox
  DEVOPSBOT_BRIDGE_ORGANIZER: bridgeOrganizer
  DEVOPSBOT_TRACKER_KIND: trackerKind
  DEVOPSBOT_TRACKER_URL: trackerUrl
  DEVOPSBOT_TRACKER_TOKEN: empty(trackerKind) ? '' : '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=tracker-token)'
  // Each alert source's secret, written to the vault by an operator for the sources in use. A secret not in the vault
  // leaves its reference unresolved, which the app treats as no secret: that source is refused (fail closed).
  DEVOPSBOT_ALERT_SECRET_AZURE_MONITOR: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=alert-secret-azure-monitor)'
  DEVOPSBOT_ALERT_SECRET_ALERTMANAGER: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=alert-secret-alertmanager)'
  DEVOPSBOT_ALERT_SECRET_GRAFANA: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=alert-secret-grafana)'
  DEVOPSBOT_ALERT_SECRET_GENERIC: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=alert-secret-generic)'
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    name: functionAppName
    planName: 'plan-devopsbot-${resourceToken}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    appSettings: devopsbotSettings
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    dashboardAuthClientId: dashboardAuthClientId
    anonymousPaths: anonymousPaths
  }
  // Key Vault references and identity-based storage resolve at start-up: the roles must exist first.
  dependsOn: [
    roles
  ]
}

module bot 'modules/bot.bicep' = {
  name: 'bot'
  params: {
    tags: tags
    name: 'bot-devopsbot-${resourceToken}'
    displayName: botDisplayName
    endpoint: 'https://${functionApp.outputs.hostName}/api/messages'
    appType: botAppType
    appId: botId
    identityResourceId: identity.outputs.id
    sku: botSku
  }
  dependsOn: [
    checks
  ]
}

// The alert endpoints take the function key (?code=, kept in Key Vault as function-key) plus each source's secret.
module functionKey 'modules/functionkey.bicep' = {
  name: 'functionkey'
  params: {
    keyVaultName: keyVault.outputs.name
    functionAppName: functionApp.outputs.name
  }
}

var alertBaseUrl = 'https://${functionApp.outputs.hostName}/api/alerts'

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOST string = functionApp.outputs.hostName
output BOT_ENDPOINT string = bot.outputs.endpoint
output BOT_APP_ID string = botId
output APP_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APP_SETTINGS object = devopsbotSettings
output ALERT_URL_AZURE_MONITOR string = '${alertBaseUrl}/azure-monitor'
output ALERT_URL_ALERTMANAGER string = '${alertBaseUrl}/alertmanager'
output ALERT_URL_GRAFANA string = '${alertBaseUrl}/grafana'
output ALERT_URL_GENERIC string = '${alertBaseUrl}/generic'
output FUNCTION_KEY_SECRET_NAME string = functionKey.outputs.secretName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STATUS_PAGE_URL string = storage.outputs.webEndpoint
