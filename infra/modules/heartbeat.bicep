// The dead-man's switch: an Azure Monitor alert that fires when the due-work timer has logged no heartbeat for
// five minutes (services/heartbeat.py logs "devopsbot heartbeat" each tick), mailing the admin team. It runs in
// Azure Monitor, outside the app, so it fires precisely when devopsbot cannot tell anyone itself.

@description('Azure region of the alert rule (the action group is global).')
param location string

@description('Tags applied to both resources.')
param tags object

@description('Resource id of the Application Insights component the app logs to.')
param applicationInsightsId string

@description('Where the alert is mailed: the admin team\'s address (empty: the alert fires in the portal only).')
param adminEmail string

@description('Name of the action group.')
param actionGroupName string

@description('Name of the scheduled query rule.')
param alertRuleName string

resource adminTeam 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'devopsbot'
    enabled: true
    emailReceivers: empty(adminEmail) ? [] : [
      {
        name: 'admin-team'
        emailAddress: adminEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource heartbeatMissing 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: alertRuleName
  location: location
  tags: tags
  properties: {
    displayName: 'devopsbot heartbeat missing'
    description: 'No due-work timer tick was logged for 5 minutes: reminders and escalations are not running.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "devopsbot heartbeat"'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        adminTeam.id
      ]
    }
  }
}

output alertRuleId string = heartbeatMissing.id
output actionGroupId string = adminTeam.id
