// The Function App on the Flex Consumption plan (Linux, Python 3.11) with its settings and App Service Authentication.

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app (the app also gets azd-service-name).')
param tags object

@description('Function App name; also the first label of its host name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Storage account the Functions host uses for its own state (AzureWebJobsStorage, through the identity).')
param storageAccountName string

@description('URL of the blob container the plan deploys the app package from.')
param deploymentContainerUrl string

@description('Application Insights connection string (ingestion needs an Entra token: local authentication is off).')
param applicationInsightsConnectionString string

@description('devopsbot\'s own settings (DEVOPSBOT_*), merged with the host settings below.')
param appSettings object

@description('Instances kept warm for the HTTP functions, so Teams never waits on a cold start.')
@minValue(0)
param alwaysReadyInstances int = 1

@description('Upper bound of the scale-out.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance, MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Client id of the Entra app registration users sign in with to see the dashboard. Empty: the dashboard answers 401 until it is set.')
param dashboardAuthClientId string = ''

@description('Paths served without App Service Authentication (each checks its own credentials).')
param anonymousPaths array

var serviceName = 'devopsbot'

// The Functions host's settings; FUNCTIONS_WORKER_RUNTIME is not set on Flex (runtime comes from functionAppConfig).
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // checkov:skip=CKV_AZURE_225: Flex Consumption offers zone redundancy in few regions; the platform moves instances off a failed zone
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    // checkov:skip=CKV_AZURE_222: Azure Bot Service delivers Teams activities to /api/messages over the internet; the app checks their tokens
    // checkov:skip=CKV_AZURE_17: Bot Framework authenticates with a signed JWT, not a client certificate, so client certificates would lock Teams out
    // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand; alwaysReady keeps one HTTP instance warm and the platform replaces a failed one
    // checkov:skip=CKV_AZURE_213: App Service health check is not a Flex Consumption feature; GET /api/health serves external probes
    // checkov:skip=CKV_AZURE_78: Flex Consumption has no FTP or FTPS endpoint, and ARM rejects siteConfig.ftpsState on a Flex site; code arrives only through the deployment container
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // 'http' is the group of every HTTP-triggered function: /api/messages answers Teams at once.
        alwaysReady: [
          {
            name: 'http'
            instanceCount: alwaysReadyInstances
          }
        ]
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      // Flex Consumption refuses the site properties it does not support (ftpsState, alwaysOn, functionAppScaleLimit,
      // use32BitWorkerProcess, linuxFxVersion, ...): only these three, which it honours, are set.
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for setting in items(union(hostSettings, appSettings)): {
        name: setting.key
        value: setting.value
      }]
    }
  }
}

var entraProvider = {
  azureActiveDirectory: {
    enabled: true
    registration: {
      clientId: dashboardAuthClientId
      openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    }
    validation: {
      allowedAudiences: [
        'api://${dashboardAuthClientId}'
        'api://${name}.azurewebsites.net/${dashboardAuthClientId}' // the Teams tab's single sign-on token (v1)
        dashboardAuthClientId
      ]
    }
  }
}

// Everything but the anonymous paths needs a signed-in user of this tenant; the bot endpoint checks Bot Framework
// tokens itself. Without a registration the dashboard stays closed (401) rather than open.
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    // Checkov reads every sites/config resource as the site's 'web' config and authsettings v1; this is authsettingsV2:
    // checkov:skip=CKV_AZURE_13: authentication is on (platform.enabled, the v2 schema); the check reads the v1 'enabled' property
    // checkov:skip=CKV_AZURE_63: not a 'web' config resource; on Flex Consumption HTTP logs go to Application Insights
    // checkov:skip=CKV_AZURE_65: not a 'web' config resource; errors are logged to Application Insights, never shown to callers
    // checkov:skip=CKV_AZURE_66: not a 'web' config resource; failed requests are traced in Application Insights
    // checkov:skip=CKV_AZURE_80: not a 'web' config resource, and the app is Python, not .NET
    // checkov:skip=CKV_AZURE_88: not a 'web' config resource; the app keeps its state in Table Storage, not Azure Files
    // checkov:skip=CKV_AZURE_222: not a 'web' config resource; public access is decided on the site (see there)
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: empty(dashboardAuthClientId) ? 'Return401' : 'RedirectToLoginPage'
      redirectToProvider: empty(dashboardAuthClientId) ? null : 'azureactivedirectory'
      excludedPaths: anonymousPaths
    }
    identityProviders: empty(dashboardAuthClientId) ? {} : entraProvider
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = site.name
output hostName string = site.properties.defaultHostName
